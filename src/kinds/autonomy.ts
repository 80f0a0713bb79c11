import { z } from 'zod';
import { parseScope } from '../core/scope.js';
import type { KindDefinition } from '../core/index.js';
import { guardrailsSchema } from './guardrails.js';
import { configKind } from './config-kind.js';

export const AUTONOMY = 'Autonomy';

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

const durationSchema = z.string().regex(DURATION, 'must be a duration with a unit, e.g. 500ms, 30s, 10m, 1h or 7d');

/** Milliseconds of a duration accepted by the Autonomy schema (`500ms`, `30s`, `10m`, `1h`, `7d`). */
export function autonomyDurationMs(text: string): number {
  const match = DURATION.exec(text);
  if (!match) throw new Error(`"${text}" is not a duration`);
  return Math.round(Number(match[1]) * (UNIT_MS[match[2] ?? 's'] ?? 1000));
}

export const autonomyModeSchema = z
  .enum(['observe', 'propose', 'auto'])
  .describe('observe: report drift only; propose: open a change request and wait for approval; auto: act within the guardrails');

export type AutonomyMode = z.infer<typeof autonomyModeSchema>;

const scopeTextSchema = z.string().superRefine((text, ctx) => {
  const parsed = parseScope(text);
  if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.error });
});

export const autonomyScopeSchema = z
  .strictObject({
    scope: scopeTextSchema.describe('project, kind:KIND, resource:KIND/NAME or labels:KEY=VALUE[,KEY=VALUE...]'),
    mode: autonomyModeSchema.optional().describe('The mode for resources in this scope (default: the project default)'),
    allowDestructive: z
      .boolean()
      .default(false)
      .describe('Let auto carry out destructive changes (delete, replace, large revokes) without approval'),
    interval: durationSchema.optional().describe('Re-observe resources in this scope at least this often (default: spec.resync)'),
  })
  .describe('The autonomy of one part of the project; the most specific matching scope wins');

export const approverSchema = z
  .union([
    z.strictObject({ user: z.string().min(1).describe('An operating-system user name allowed to approve') }),
    z.strictObject({
      name: z.string().min(1).describe('How the token holder is named in the audit log'),
      tokenSha256: z
        .string()
        .regex(/^[0-9a-f]{64}$/, 'must be the SHA-256 of the token as 64 lowercase hex digits (never the token itself)')
        .describe('SHA-256 of the token given in STEWARD_APPROVER_TOKEN'),
    }),
  ])
  .describe('Someone allowed to approve: an OS user, or a token holder (only the token hash is configured)');

export type Approver = z.infer<typeof approverSchema>;

export const autonomySpecSchema = z
  .strictObject({
    default: autonomyModeSchema.default('propose').describe('The mode where no scope matches (default propose)'),
    scopes: z.array(autonomyScopeSchema).default([]),
    approvals: z
      .strictObject({
        required: z.number().int().min(1).default(1).describe('Distinct approvals a change request needs'),
        expiry: durationSchema.default('24h').describe('How long a change request waits for its approvals'),
        approvers: z
          .array(approverSchema)
          .default([])
          .describe('Who may approve; when empty, any OS user other than the proposer may'),
      })
      .prefault({})
      .describe('Change requests'),
    resync: durationSchema.default('5m').describe('Full re-observation of everything at least this often'),
    fingerprintInterval: durationSchema.default('1s').describe('How often the cheap role/membership fingerprint is polled'),
    guardrails: guardrailsSchema.optional(),
  })
  .describe("The agent's autonomy: per scope, whether it only observes, proposes changes for approval, or acts");

export type AutonomySpec = z.infer<typeof autonomySpecSchema>;

export const autonomyKind: KindDefinition<AutonomySpec> = configKind(AUTONOMY, autonomySpecSchema);
