import { describe, expect, it } from 'vitest';
import { toJsonValue } from './json.js';

describe('toJsonValue', () => {
  it('returns plain JSON as it is', () => {
    const value = { fields: ['a', 'b'], reason: 'it does not exist yet', adopt: false, count: 3, nested: { none: null } };
    expect(toJsonValue(value)).toBe(value);
  });

  it('gives what JSON.stringify keeps for anything else', () => {
    const when = new Date('2026-01-02T03:04:05.000Z');
    // eslint-disable-next-line no-sparse-arrays
    const input = { gone: undefined, when, ratio: Number.NaN, zero: -0, list: [1, , undefined], custom: { toJSON: () => 'custom' }, inner: { keep: 1, drop: undefined } };
    const output = toJsonValue(input);
    expect(output).not.toBe(input);
    expect(output).toEqual({ when: '2026-01-02T03:04:05.000Z', ratio: null, zero: 0, list: [1, null, null], custom: 'custom', inner: { keep: 1 } });
    expect(Object.hasOwn(output as object, 'gone')).toBe(false);
  });

  it('copies objects that are not plain and throws on what JSON cannot hold', () => {
    class Point {
      constructor(readonly x: number) {}
    }
    expect(toJsonValue({ at: new Point(2) })).toEqual({ at: { x: 2 } });
    expect(toJsonValue(undefined)).toBeNull();
    const [zero] = toJsonValue([-0]) as number[];
    expect(Object.is(zero, 0)).toBe(true);
    const cycle: Record<string, unknown> = {};
    cycle['self'] = cycle;
    expect(() => toJsonValue(cycle)).toThrow();
    expect(() => toJsonValue({ big: 1n })).toThrow();
  });
});
