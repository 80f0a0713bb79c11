import canonicalize from 'canonicalize';
import { describe, expect, it } from 'vitest';
import { canonicalJson, hashOf } from './hash.js';

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Text mixing ASCII, control characters, quotes, backslashes, BMP letters and surrogate pairs. */
const PIECES = ['a', 'Z', '0', ' ', '"', '\\', '\n', '\t', '\u0001', '\u001f', '\u007f', 'é', '€', '\u2028', '\ufeff', '😀', '𝄞', '\\u', '\\ud800', 'ud83d'];

function value(next: () => number, depth: number): unknown {
  const pick = next();
  if (depth > 3 || pick < 0.45) {
    const kind = Math.floor(next() * 6);
    if (kind === 0) return null;
    if (kind === 1) return next() < 0.5;
    if (kind === 2) return [0, -0, 1, -1, 0.1, 1e21, 1e-7, 123456789.125, 2 ** 53, -1.5e300, 5e-324][Math.floor(next() * 11)];
    if (kind === 3) return Math.floor(next() * 1e6) / (1 + Math.floor(next() * 100));
    const length = Math.floor(next() * 8);
    return Array.from({ length }, () => PIECES[Math.floor(next() * PIECES.length)]).join('');
  }
  if (pick < 0.7) return Array.from({ length: Math.floor(next() * 5) }, () => value(next, depth + 1));
  const object: Record<string, unknown> = {};
  for (let i = Math.floor(next() * 6); i > 0; i--) object[String(value(next, 9))] = value(next, depth + 1);
  return object;
}

describe('canonical JSON', () => {
  it('writes exactly what the RFC 8785 reference writes, for a thousand generated values', () => {
    const next = random(8785);
    for (let i = 0; i < 1000; i++) {
      const v = value(next, 0);
      expect(canonicalJson(v)).toBe(canonicalize(v));
    }
  });

  it('sorts keys by UTF-16 code units, and writes numbers and escapes as the RFC says', () => {
    const v = { '€': 1, '😀': 2, '\u0080': 3, a: [1e21, -0, 0.000001, 1e-7], b: 'tab\tquote"back\\slash\u0001', undefinedIsLeftOut: undefined, date: new Date(0) };
    expect(canonicalJson(v)).toBe(canonicalize(v));
    expect(canonicalJson(v)).toBe('{"a":[1e+21,0,0.000001,1e-7],"b":"tab\\tquote\\"back\\\\slash\\u0001","date":"1970-01-01T00:00:00.000Z","\u0080":3,"€":1,"😀":2}');
  });

  it('refuses what has no canonical form: lone surrogates, non-finite numbers, bigints, cycles', () => {
    const cycle: Record<string, unknown> = {};
    cycle['self'] = cycle;
    for (const bad of [{ text: 'lone \ud800 surrogate' }, ['\udc00'], { ['key \ud83d']: 1 }, { n: Number.NaN }, [Infinity], { big: 10n }, cycle, undefined]) {
      expect(() => canonicalJson(bad)).toThrow();
    }
    // Text that only looks like an escaped lone surrogate is fine.
    expect(canonicalJson({ text: '\\ud800' })).toBe('{"text":"\\\\ud800"}');
  });

  it('hashes the canonical text, so key order never changes a hash', () => {
    expect(hashOf({ b: 1, a: [2, { d: 3, c: 4 }] })).toBe(hashOf({ a: [2, { c: 4, d: 3 }], b: 1 }));
    expect(hashOf({ a: 1 })).not.toBe(hashOf({ a: 2 }));
  });
});
