import { z } from 'zod';

const UNITS: Readonly<Record<string, number>> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400 };

/** Seconds in a duration written as `500ms`, `90s`, `5m`, `24h`, `7d` (or combined: `1h30m`); undefined if malformed. */
export function durationSeconds(text: string): number | undefined {
  const parts = [...text.trim().matchAll(/(\d+)(ms|s|m|h|d)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text.trim()) return undefined;
  return parts.reduce((sum, p) => sum + Number(p[1]) * (UNITS[p[2]!] ?? 0), 0);
}

/** A duration such as `24h`; `minSeconds` rejects shorter ones. */
export function durationSchema(minSeconds: number, what: string): z.ZodType<string> {
  return z.string().superRefine((value, ctx) => {
    const seconds = durationSeconds(value);
    if (seconds === undefined) ctx.addIssue({ code: 'custom', message: `"${value}" is not a duration; write it like 90s, 15m, 24h or 7d` });
    else if (seconds < minSeconds) ctx.addIssue({ code: 'custom', message: `${what} must be at least ${minSeconds}s, not ${value}` });
  });
}
