import { randomInt } from 'node:crypto';

export const CHARACTER_CLASSES = {
  lower: 'abcdefghijklmnopqrstuvwxyz',
  upper: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  digits: '0123456789',
  // Safe in a shell-quoted env file; DATABASE_URL percent-encodes them anyway.
  symbols: '-_.~+=^',
} as const;

export type CharacterClass = keyof typeof CHARACTER_CLASSES;

/** A uniformly random value with at least one character of every requested class. */
export function generateSecret(length: number, classes: readonly CharacterClass[]): string {
  const sets = [...new Set(classes)].map((c) => CHARACTER_CLASSES[c]);
  if (sets.length === 0) throw new Error('at least one character class is needed');
  if (length < sets.length) throw new Error(`a length of ${length} cannot hold one character of each of ${sets.length} classes`);
  const alphabet = sets.join('');
  for (;;) {
    let value = '';
    for (let i = 0; i < length; i++) value += alphabet[randomInt(alphabet.length)];
    // Rejection keeps the distribution uniform over the values that satisfy every class.
    if (sets.every((set) => [...value].some((ch) => set.includes(ch)))) return value;
  }
}
