import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { packageRoot, packageVersion } from './package-root.js';

const ROOT = resolve(import.meta.dirname, '../..');
const at = (relative: string): string => pathToFileURL(join(ROOT, relative)).href;

describe('packageRoot', () => {
  it('finds the checkout from a module at any depth: the sources, dist/ and the bundle', () => {
    expect(packageRoot(import.meta.url)).toBe(ROOT);
    expect(packageRoot(at('dist/src/manifest/cache.js'))).toBe(ROOT);
    expect(packageRoot(at('dist/bundle/chunks/some-chunk.js'))).toBe(ROOT);
    expect(packageVersion(at('dist/bundle/steward.js'))).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("skips other packages' manifests on the way up, and finds none outside", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'steward-package-root-'));
    try {
      await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'not-steward', version: '9.9.9' }));
      const module = pathToFileURL(join(dir, 'lib', 'x.js')).href;
      expect(packageRoot(module)).toBeUndefined();
      expect(packageVersion(module)).toBeUndefined();
      await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'steward', version: '1.2.3' }));
      expect(packageRoot(module)).toBe(dir);
      expect(packageVersion(module)).toBe('1.2.3');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
