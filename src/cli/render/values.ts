import type { JsonValue } from '../../core/index.js';

/** A value as shown in plans: JSON for structures and strings, `(known after apply)` for unknowns. */
export function showValue(value: JsonValue | undefined): string {
  if (value === undefined) return '(none)';
  return JSON.stringify(value);
}

/** `1 file`, `3 files`: a count with its noun in the right number. */
export function counted(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}
