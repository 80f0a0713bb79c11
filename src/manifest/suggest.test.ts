import { describe, expect, it } from 'vitest';
import { closeMatches, closestMatch, quoteList } from './suggest.js';

describe('suggestions', () => {
  const keys = ['instance', 'login', 'connectionLimit', 'comment', 'config'];

  it('offers the nearest candidate within typo distance, ignoring case', () => {
    expect(closestMatch('conectionLimit', keys)).toBe('connectionLimit');
    expect(closestMatch('ConnectionLimit', keys)).toBe('connectionLimit');
    expect(closestMatch('instnace', keys)).toBe('instance');
    expect(closestMatch('superuser', keys)).toBeUndefined();
    expect(closestMatch('x', keys)).toBeUndefined();
  });

  it('lists several close candidates, nearest first', () => {
    expect(closeMatches('mian', ['main', 'zzz', 'man', 'moan'])).toEqual(['man', 'moan', 'main']);
    expect(closeMatches('mian', ['main', 'man', 'moan'], 1)).toEqual(['man']);
    expect(closeMatches('login', keys)).toEqual([]);
  });

  it('quotes lists for hints', () => {
    expect(quoteList([])).toBe('');
    expect(quoteList(['a'])).toBe("'a'");
    expect(quoteList(['a', 'b', 'c'])).toBe("'a', 'b' or 'c'");
    expect(quoteList(['a', 'b'], 'and')).toBe("'a' and 'b'");
  });
});
