import type { Attributes, JsonValue } from '../core/resource.js';

/**
 * The JSON value the database will hold for `value`: what `JSON.stringify` keeps (undefined
 * properties dropped, `toJSON` applied). Throws on values JSON cannot represent (BigInt, cycles).
 * `undefined` becomes `null`.
 */
export function toJsonValue(value: unknown): JsonValue {
  if (value === undefined) return null;
  const text = JSON.stringify(value);
  if (text === undefined) return null;
  return JSON.parse(text) as JsonValue;
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
