import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The shared test corpus lives beside the checkout (`<repo>/../shared/corpus`). `from` is any
 * directory inside the repository (the module's own, or `dist/...` once built): the first ancestor
 * that has `../shared/corpus` wins. Throws a clear error when there is none.
 */
export function findCorpus(from: string): string {
  let dir = path.resolve(from);
  for (;;) {
    const candidate = path.join(dir, '..', 'shared', 'corpus');
    if (existsSync(path.join(candidate, 'checkov-terraform')) && existsSync(path.join(candidate, 'terragoat'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`the shared corpus (../shared/corpus with checkov-terraform/ and terragoat/) was not found beside the checkout above ${from}`);
    dir = parent;
  }
}
