import { createHash, hash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { configure } from 'safe-stable-stringify';

/**
 * JSON with every object's keys sorted (UTF-16 code unit order, as RFC 8785), throwing on what
 * JSON cannot hold (non-finite numbers, bigints, functions, cycles) instead of writing something.
 */
const sortedJson = configure({ deterministic: true, strict: true });

/** A lone surrogate in JSON text: raw, or escaped as JSON.stringify escapes one. */
const LONE_SURROGATE = /\p{Surrogate}|\\u[dD][89a-fA-F]/u;

/**
 * RFC 8785 canonical JSON: the same value always gives the same bytes.
 *
 * For a value that has a canonical form (finite numbers, strings without lone surrogates), sorted
 * JSON is exactly that form: JSON.stringify's numbers and escapes are the ones RFC 8785 specifies.
 * So it is written by `safe-stable-stringify`, and anything else — a value it refuses, or text
 * holding what may be a lone surrogate — goes to `canonicalize`, the reference implementation,
 * which refuses it (or, for text that only looked like one, writes the same bytes). The reference
 * alone allocated a fifth of everything an apply of 11,100 changes allocated.
 */
export function canonicalJson(value: unknown): string {
  let text: string | undefined;
  try {
    text = sortedJson(value);
  } catch {
    text = undefined;
  }
  if (text !== undefined && !LONE_SURROGATE.test(text)) return text;
  const reference = canonicalize(value);
  if (reference === undefined) throw new Error('value cannot be represented as JSON');
  return reference;
}

/** SHA-256 hex of the UTF-8 text; the one-shot `crypto.hash` (Node 20.12+) is twice as fast. */
export const sha256Hex: (text: string) => string =
  typeof hash === 'function' ? (text) => hash('sha256', text, 'hex') : (text) => createHash('sha256').update(text, 'utf8').digest('hex');

export function hashOf(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}
