import { distance } from 'fastest-levenshtein';

/**
 * How far a word may be from a candidate and still be offered as "did you mean": short words
 * tolerate one edit, longer ones about a third of their length, so a typo is caught but an
 * unrelated word is not.
 */
function tolerance(word: string): number {
  return word.length <= 3 ? 1 : Math.max(2, Math.floor(word.length / 3));
}

/** Candidates within typo distance of `word`, nearest first (ties keep the candidates' order). Case is ignored. */
export function closeMatches(word: string, candidates: readonly string[], limit = 3): readonly string[] {
  const lower = word.toLowerCase();
  const limitDistance = tolerance(word);
  return candidates
    .filter((c) => c !== word)
    .map((candidate, index) => ({ candidate, index, d: distance(lower, candidate.toLowerCase()) }))
    .filter((m) => m.d <= limitDistance)
    .sort((a, b) => a.d - b.d || a.index - b.index)
    .slice(0, limit)
    .map((m) => m.candidate);
}

/** The single nearest candidate within typo distance, if any. */
export function closestMatch(word: string, candidates: readonly string[]): string | undefined {
  return closeMatches(word, candidates, 1)[0];
}

/** `'a', 'b' or 'c'`, for hints. */
export function quoteList(items: readonly string[], conjunction = 'or'): string {
  const quoted = items.map((i) => `'${i}'`);
  if (quoted.length <= 1) return quoted.join('');
  return `${quoted.slice(0, -1).join(', ')} ${conjunction} ${quoted[quoted.length - 1]!}`;
}
