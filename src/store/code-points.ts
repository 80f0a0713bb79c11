/** Code point order, which is the byte order of UTF-8 (UTF-16 code units differ above U+FFFF). */
function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

/** Halves of a surrogate pair: only where they are does UTF-16 order differ from code point order. */
const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * Sorts `items` in place into the code point order of their addresses, which is the byte order of
 * their UTF-8 text, as PostgreSQL's "C" collation sorts them.
 */
export function sortByAddress<T extends { readonly address: string }>(items: T[]): T[] {
  // Without surrogates, JavaScript's own string order is the same and several times quicker.
  const compare = items.some((i) => SURROGATE.test(i.address))
    ? (a: T, b: T): number => compareCodePoints(a.address, b.address)
    : (a: T, b: T): number => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0);
  return items.sort(compare);
}
