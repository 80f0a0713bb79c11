import { describe, expect, it } from 'vitest';
import { guardrailsSchema, resolveGuardrails } from './guardrails.js';

describe('guardrails settings', () => {
  it('fills every default', () => {
    expect(resolveGuardrails({})).toEqual({
      rateLimit: { perResource: { capacity: 5, refillPerSecond: 0.5 }, overall: { capacity: 50, refillPerSecond: 10 } },
      blastRadius: { maxPerCycle: 20, maxPerHour: 200 },
      breaker: { failureThreshold: 5, openMs: 30_000 },
      flapping: { maxReverts: 3, windowMs: 600_000 },
      destructive: { maxRevokedPrivileges: 5 },
    });
    expect(resolveGuardrails(undefined)).toEqual(resolveGuardrails({}));
  });

  it('keeps what is set and defaults the rest, converting durations', () => {
    const input = guardrailsSchema.parse({
      rateLimit: { perResource: { capacity: 1 } },
      breaker: { openFor: '1.5s' },
      flapping: { window: '1h' },
    });
    const resolved = resolveGuardrails(input);
    expect(resolved.rateLimit.perResource).toEqual({ capacity: 1, refillPerSecond: 0.5 });
    expect(resolved.breaker).toEqual({ failureThreshold: 5, openMs: 1500 });
    expect(resolved.flapping.windowMs).toBe(3_600_000);
  });

  it('refuses unknown fields, bad durations and out-of-range numbers, naming the field', () => {
    const cases: readonly [unknown, string][] = [
      [{ ratelimit: {} }, ''],
      [{ breaker: { openFor: '30' } }, 'breaker.openFor'],
      [{ blastRadius: { maxPerCycle: 0 } }, 'blastRadius.maxPerCycle'],
      [{ rateLimit: { overall: { refillPerSecond: -1 } } }, 'rateLimit.overall.refillPerSecond'],
    ];
    for (const [input, path] of cases) {
      const result = guardrailsSchema.safeParse(input);
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.path.join('.')).toBe(path);
    }
  });
});
