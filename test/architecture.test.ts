import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { buildGraph, findCycles } from '../src/core/graph.js';

const SRC = resolve(import.meta.dirname, '../src');

/**
 * Layers import inward only. Each top-level folder of src/ may import itself and the folders
 * listed; anything else is a violation. Tests are exempt (they may reach across to set up).
 */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  core: [],
  kinds: ['core'],
  manifest: ['core', 'kinds'],
  providers: ['core', 'kinds'],
  store: ['core'],
  secrets: ['core'],
  engine: ['core'],
  embedded: ['core'],
  policy: ['core', 'kinds'],
  scan: ['core', 'kinds', 'manifest', 'policy'],
  app: ['core', 'kinds', 'manifest', 'providers', 'store', 'engine', 'policy', 'scan', 'secrets'],
  agent: ['core', 'kinds', 'manifest', 'providers', 'store', 'engine', 'policy', 'app'],
  cli: ['core', 'kinds', 'manifest', 'providers', 'store', 'engine', 'policy', 'scan', 'app', 'agent', 'secrets'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

function localImports(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return info.importedFiles
    .map((f) => f.fileName)
    .filter((name) => name.startsWith('.'))
    .map((name) => resolve(dirname(file), name).replace(/\.js$/, '.ts'));
}

const layerOf = (file: string): string => relative(SRC, file).split('/')[0] ?? '';
const files = sourceFiles(SRC);

describe('architecture', () => {
  it('knows the layer of every source folder', () => {
    const layers = new Set(files.map(layerOf));
    expect([...layers].filter((l) => !(l in ALLOWED))).toEqual([]);
  });

  it('has no layer importing outward', () => {
    const violations = files.flatMap((file) => {
      const from = layerOf(file);
      return localImports(file)
        .map(layerOf)
        .filter((to) => to !== from && !(ALLOWED[from] ?? []).includes(to))
        .map((to) => `${relative(SRC, file)} (${from}) imports ${to}`);
    });
    expect(violations).toEqual([]);
  });

  it('has no import cycles between modules', () => {
    const graph = buildGraph(
      files.map((f) => relative(SRC, f)),
      (f) => localImports(join(SRC, f)).map((i) => relative(SRC, i)),
    );
    expect(findCycles(graph).map((c) => c.join(' -> '))).toEqual([]);
  });
});
