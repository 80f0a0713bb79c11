import { describe, expect, it } from 'vitest';
import { sortByAddress } from './code-points.js';

const sorted = (addresses: readonly string[]): readonly string[] => sortByAddress(addresses.map((address) => ({ address }))).map((i) => i.address);

describe('sortByAddress', () => {
  it('sorts in the byte order of UTF-8, as the "C" collation does', () => {
    const addresses = ['Kind/b', 'Kind/a', 'Kind/é', 'Kind/B', 'Kind/ab', 'Kind/'];
    const bytes = [...addresses].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect(sorted(addresses)).toEqual(bytes);
  });

  it('puts characters beyond U+FFFF after U+FFFD, where UTF-16 order would not', () => {
    // U+1D4E7 is written as surrogates (D835 DCE7), which sort before U+FFFD in UTF-16.
    expect(sorted(['Kind/𝓧', 'Kind/\uFFFD', 'Kind/a'])).toEqual(['Kind/a', 'Kind/\uFFFD', 'Kind/𝓧']);
    expect(['Kind/𝓧', 'Kind/\uFFFD'].sort()).toEqual(['Kind/𝓧', 'Kind/\uFFFD']);
  });
});
