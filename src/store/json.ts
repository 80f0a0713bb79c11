import type { Attributes, JsonValue } from '../core/resource.js';

/**
 * The JSON value the database will hold for `value`: what `JSON.stringify` keeps (undefined
 * properties dropped, `toJSON` applied). Throws on values JSON cannot represent (BigInt, cycles).
 * `undefined` becomes `null`. A value that is plain JSON already is returned as it is, not copied.
 */
export function toJsonValue(value: unknown): JsonValue {
  if (value === undefined) return null;
  // Already plain JSON (the usual case: details built from JSON values): JSON.stringify would
  // keep all of it, so it is its own JSON value, and copying it through text (an audit entry of a
  // batch names hundreds of intents) is skipped.
  if (isPlainJsonValue(value)) return value;
  const text = JSON.stringify(value);
  if (text === undefined) return null;
  return JSON.parse(text) as JsonValue;
}

/**
 * Whether `value` is JSON that JSON.stringify keeps whole: null, booleans, strings, finite numbers
 * other than -0, arrays of those and objects with the plain prototype whose own properties are all
 * of those (no undefined member, no `toJSON`).
 */
function isPlainJsonValue(value: unknown, depth = 0): value is JsonValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  // -0 is written as 0.
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0);
  // Deeper than any detail is built (and short of the stack's limit); JSON.stringify decides.
  if (typeof value !== 'object' || depth > 64) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!isPlainJsonValue(value[i], depth + 1)) return false;
    return true;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return false;
  for (const key in value) {
    if (key === 'toJSON' || !isPlainJsonValue((value as Record<string, unknown>)[key], depth + 1)) return false;
  }
  return true;
}

export function isJsonObject(value: unknown): value is Attributes {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Text for a `$n::jsonb` parameter. */
export function jsonParam(value: unknown): string {
  return JSON.stringify(toJsonValue(value));
}

/** Text for a nullable `$n::jsonb` parameter: SQL NULL when the value is absent or JSON null. */
export function nullableJsonParam(value: unknown): string | null {
  const json = toJsonValue(value);
  return json === null ? null : JSON.stringify(json);
}
