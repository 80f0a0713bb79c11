import type { JsonValue } from '../../core/index.js';

/** A value as shown in plans: JSON for structures and strings, `(known after apply)` for unknowns. */
export function showValue(value: JsonValue | undefined): string {
  if (value === undefined) return '(none)';
  return JSON.stringify(value);
}
