import { z } from 'zod';

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `500ms`, `30s`, `10m`, `1h`. */
const durationSchema = z.string().regex(DURATION, 'must be a duration with a unit, e.g. 500ms, 30s, 10m or 1h');

function durationMs(text: string): number {
  const match = DURATION.exec(text);
  if (!match) throw new Error(`"${text}" is not a duration`);
  return Math.round(Number(match[1]) * (UNIT_MS[match[2] ?? 's'] ?? 1000));
}

const bucketSchema = z.strictObject({
  capacity: z.number().int().min(1).optional().describe('Most changes allowed in a burst'),
  refillPerSecond: z.number().positive().optional().describe('Changes allowed per second once the burst is spent'),
});

/** The defaults, documented in docs/guardrails.md; every field of `guardrailsSchema` falls back to these. */
export const GUARDRAIL_DEFAULTS = {
  rateLimit: {
    perResource: { capacity: 5, refillPerSecond: 0.5 },
    overall: { capacity: 50, refillPerSecond: 10 },
  },
  blastRadius: { maxPerCycle: 20, maxPerHour: 200 },
  breaker: { failureThreshold: 5, openFor: '30s' },
  flapping: { maxReverts: 3, window: '10m' },
  destructive: { maxRevokedPrivileges: 5 },
} as const;

export const guardrailsSchema = z
  .strictObject({
    rateLimit: z
      .strictObject({
        perResource: bucketSchema.optional().describe('Token bucket per resource (default capacity 5, 0.5 per second)'),
        overall: bucketSchema.optional().describe('Token bucket for all changes together (default capacity 50, 10 per second)'),
      })
      .optional()
      .describe('Rate limits on mutations'),
    blastRadius: z
      .strictObject({
        maxPerCycle: z.number().int().min(1).optional().describe('Most resources changed per reconcile cycle (default 20)'),
        maxPerHour: z.number().int().min(1).optional().describe('Most resources changed per sliding hour (default 200)'),
      })
      .optional()
      .describe('Exceeding either limit pauses the scope and raises an alert'),
    breaker: z
      .strictObject({
        failureThreshold: z.number().int().min(1).optional().describe('Consecutive failures that open the breaker (default 5)'),
        openFor: durationSchema.optional().describe('How long it stays open before one probe is let through (default 30s)'),
      })
      .optional()
      .describe('Circuit breaker per provider instance'),
    flapping: z
      .strictObject({
        maxReverts: z.number().int().min(1).optional().describe('Reverts of one resource allowed within the window (default 3)'),
        window: durationSchema.optional().describe('The sliding window (default 10m)'),
      })
      .optional()
      .describe('Past the budget the resource is marked conflicted and no longer reverted'),
    destructive: z
      .strictObject({
        maxRevokedPrivileges: z
          .number()
          .int()
          .min(0)
          .optional()
          .describe('A change revoking more privileges than this counts as destructive and needs approval (default 5)'),
      })
      .optional(),
  })
  .describe('Limits on what the agent may do on its own; every field is optional');

export type GuardrailsInput = z.infer<typeof guardrailsSchema>;

interface ResolvedBucket {
  readonly capacity: number;
  readonly refillPerSecond: number;
}

export interface ResolvedGuardrails {
  readonly rateLimit: { readonly perResource: ResolvedBucket; readonly overall: ResolvedBucket };
  readonly blastRadius: { readonly maxPerCycle: number; readonly maxPerHour: number };
  readonly breaker: { readonly failureThreshold: number; readonly openMs: number };
  readonly flapping: { readonly maxReverts: number; readonly windowMs: number };
  readonly destructive: { readonly maxRevokedPrivileges: number };
}

function bucket(input: z.infer<typeof bucketSchema> | undefined, fallback: ResolvedBucket): ResolvedBucket {
  return {
    capacity: input?.capacity ?? fallback.capacity,
    refillPerSecond: input?.refillPerSecond ?? fallback.refillPerSecond,
  };
}

/** Fills every missing field with its default and turns durations into milliseconds. */
export function resolveGuardrails(input: GuardrailsInput | undefined = {}): ResolvedGuardrails {
  const d = GUARDRAIL_DEFAULTS;
  return {
    rateLimit: {
      perResource: bucket(input.rateLimit?.perResource, d.rateLimit.perResource),
      overall: bucket(input.rateLimit?.overall, d.rateLimit.overall),
    },
    blastRadius: {
      maxPerCycle: input.blastRadius?.maxPerCycle ?? d.blastRadius.maxPerCycle,
      maxPerHour: input.blastRadius?.maxPerHour ?? d.blastRadius.maxPerHour,
    },
    breaker: {
      failureThreshold: input.breaker?.failureThreshold ?? d.breaker.failureThreshold,
      openMs: durationMs(input.breaker?.openFor ?? d.breaker.openFor),
    },
    flapping: {
      maxReverts: input.flapping?.maxReverts ?? d.flapping.maxReverts,
      windowMs: durationMs(input.flapping?.window ?? d.flapping.window),
    },
    destructive: {
      maxRevokedPrivileges: input.destructive?.maxRevokedPrivileges ?? d.destructive.maxRevokedPrivileges,
    },
  };
}
