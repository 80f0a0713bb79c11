import { describe, expect, it } from 'vitest';
import { canonicalJson, hashOf, type Attributes, type JsonValue } from '../core/index.js';
import { diffAttributes, sameJson } from './diff.js';

/** Pairs of values, each with whether their canonical JSON is the same. */
const CASES: readonly (readonly [JsonValue, JsonValue, string])[] = [
  [1, 1, 'equal numbers'],
  [0, -0, 'zero and negative zero print the same'],
  [1, 1.5, 'different numbers'],
  ['1', 1, 'a string is not a number'],
  [true, 'true', 'a boolean is not a string'],
  [null, false, 'null is not false'],
  [null, {}, 'null is not an object'],
  [[], {}, 'an array is not an object'],
  [['a', 'b'], ['b', 'a'], 'array order counts'],
  [['a', ['b']], ['a', ['b']], 'nested arrays'],
  [{ a: 1, b: [1, { c: null }] }, { b: [1, { c: null }], a: 1 }, 'key order does not count'],
  [{ a: 1 }, { a: 1, b: 2 }, 'an extra key'],
  [{ a: 1, b: 2 }, { a: 1, c: 2 }, 'a different key'],
  [{ 'é': 'x', 'e\u0301': 'y' }, { 'e\u0301': 'y', 'é': 'x' }, 'keys compared as written'],
];

describe('diffAttributes compares values by their canonical JSON', () => {
  it.each(CASES)('%j vs %j: %s', (a, b) => {
    const expected = canonicalJson(a) === canonicalJson(b);
    const desired: Attributes = { field: a };
    expect(diffAttributes(desired, { field: b }, {})).toHaveLength(expected ? 0 : 1);
    expect(diffAttributes({ field: b }, { field: a }, {})).toHaveLength(expected ? 0 : 1);
  });

  it('ignores members whose value is undefined, as JSON does', () => {
    const withUndefined = { a: 1, b: undefined } as unknown as JsonValue;
    expect(diffAttributes({ field: { a: 1 } }, { field: withUndefined }, {})).toEqual([]);
  });
});

describe('sameJson', () => {
  // A verified change reuses its intent's hash when sameJson says what it found is what it intended.
  it.each(CASES)('%j vs %j: %s', (a, b) => {
    const same = hashOf(a) === hashOf(b);
    expect(sameJson(a, b)).toBe(same);
    expect(sameJson(b, a)).toBe(same);
  });

  it('says no when only canonical JSON could tell, never yes for values that hash differently', () => {
    expect(sameJson(Number.NaN, Number.NaN)).toBe(false);
    expect(sameJson(new Date(0), new Date(0))).toBe(false);
    expect(sameJson({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(hashOf({ a: 1, b: undefined })).toBe(hashOf({ a: 1 }));
  });
});
