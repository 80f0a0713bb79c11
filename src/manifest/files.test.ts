import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { displayPath, findManifestFiles } from './files.js';
import { loadManifests } from './load.js';
import { HEADER, INSTANCE_MAIN } from './test-helpers.js';

const ROLE = `${HEADER}\nkind: PostgresRole\nmetadata: {name: app}\nspec: {instance: main}\n`;

describe('loadManifests', () => {
  let root: string;

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'steward-manifest-'));
    await mkdir(path.join(root, 'b', 'nested'), { recursive: true });
    await mkdir(path.join(root, '.steward'));
    await mkdir(path.join(root, '.git'));
    await mkdir(path.join(root, 'node_modules', 'pkg'), { recursive: true });
    await writeFile(path.join(root, 'a.yaml'), INSTANCE_MAIN);
    await writeFile(path.join(root, 'b', 'nested', 'role.yml'), ROLE);
    await writeFile(path.join(root, 'b', 'README.md'), '# not a manifest\n');
    await writeFile(path.join(root, 'B.YAML'), '# upper-case extension, empty\n');
    await writeFile(path.join(root, '.steward', 'state.yaml'), 'not: [valid\n');
    await writeFile(path.join(root, '.git', 'x.yaml'), 'not: [valid\n');
    await writeFile(path.join(root, 'node_modules', 'pkg', 'x.yaml'), 'not: [valid\n');
    await symlink(path.join(root, 'b'), path.join(root, 'b', 'nested', 'loop'));
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('loads every manifest recursively, sorted, skipping hidden directories and node_modules', async () => {
    const result = await loadManifests(root);
    expect(result.diagnostics).toEqual([]);
    expect(result.files).toEqual([path.join(root, 'B.YAML'), path.join(root, 'a.yaml'), path.join(root, 'b', 'nested', 'role.yml')]);
    expect(result.resources.map((r) => r.address)).toEqual(['PostgresInstance/main', 'PostgresRole/app']);
    expect(result.resources[1]!.source).toEqual({ file: path.join(root, 'b', 'nested', 'role.yml'), line: 1, column: 1 });
  });

  it('shows files relative to the working directory when inside it', async () => {
    const previous = process.cwd();
    process.chdir(root);
    try {
      const result = await loadManifests('.');
      expect(result.files).toEqual(['B.YAML', 'a.yaml', path.join('b', 'nested', 'role.yml')]);
      const bad = await loadManifests('b');
      expect(bad.diagnostics.map((d) => [d.code, d.location?.file])).toEqual([['dangling-reference', path.join('b', 'nested', 'role.yml')]]);
    } finally {
      process.chdir(previous);
    }
  });

  it('loads a single manifest file', async () => {
    const result = await loadManifests(path.join(root, 'a.yaml'));
    expect(result.resources.map((r) => r.address)).toEqual(['PostgresInstance/main']);
  });

  it('reports a missing directory as an io diagnostic instead of throwing', async () => {
    const result = await loadManifests(path.join(root, 'missing'));
    expect(result.resources).toEqual([]);
    expect(result.files).toEqual([]);
    expect(result.diagnostics).toHaveLength(1);
    const d = result.diagnostics[0]!;
    expect(d.code).toBe('io');
    expect(d.severity).toBe('error');
    expect(d.summary).toContain('missing');
    expect(d.hint).toBeTruthy();
    expect(d.detail).toMatch(/ENOENT/);
  });

  it('reports a path that is neither a directory nor a manifest', async () => {
    const result = await loadManifests(path.join(root, 'b', 'README.md'));
    expect(result.diagnostics.map((d) => d.code)).toEqual(['io']);
  });

  it('reports a broken link to a manifest', async () => {
    const link = path.join(root, 'gone.yaml');
    await symlink(path.join(root, 'nowhere.yaml'), link);
    try {
      const result = await loadManifests(root);
      expect(result.diagnostics.map((d) => [d.code, d.location?.file])).toEqual([['io', link]]);
    } finally {
      await rm(link, { force: true });
    }
  });
});

describe('findManifestFiles and displayPath', () => {
  it('returns absolute paths in code-point order', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'steward-files-'));
    try {
      for (const name of ['b.yaml', 'A.yml', 'a.yaml', 'z.txt']) await writeFile(path.join(dir, name), '');
      const found = findManifestFiles(dir);
      expect(found.files).toEqual(['A.yml', 'a.yaml', 'b.yaml'].map((n) => path.join(dir, n)));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('is relative inside the working directory and absolute outside it', () => {
    expect(displayPath('/work/project/m.yaml', '/work/project')).toBe('m.yaml');
    expect(displayPath('/work/project/sub/m.yaml', '/work/project')).toBe(path.join('sub', 'm.yaml'));
    expect(displayPath('/elsewhere/m.yaml', '/work/project')).toBe('/elsewhere/m.yaml');
    expect(displayPath('/work/project-two/m.yaml', '/work/project')).toBe('/work/project-two/m.yaml');
  });
});
