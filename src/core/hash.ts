import { createHash, hash } from 'node:crypto';
import canonicalize from 'canonicalize';

/** RFC 8785 canonical JSON: the same value always gives the same bytes. */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new Error('value cannot be represented as JSON');
  return text;
}

/** SHA-256 hex of the UTF-8 text; the one-shot `crypto.hash` (Node 20.12+) is twice as fast. */
export const sha256Hex: (text: string) => string =
  typeof hash === 'function' ? (text) => hash('sha256', text, 'hex') : (text) => createHash('sha256').update(text, 'utf8').digest('hex');

export function hashOf(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}
