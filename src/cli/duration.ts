const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses `500ms`, `30s`, `5m`, `1h` (or a bare number of seconds) into milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) throw new Error(`"${text}" is not a duration; use a number with a unit, e.g. 500ms, 30s, 5m or 1h`);
  return Math.round(Number(match[1]) * (UNITS[match[2] ?? 's'] ?? 1000));
}
