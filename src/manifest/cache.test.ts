import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadManifests, type LoadResult } from './load.js';
import { HEADER, INSTANCE_MAIN } from './test-helpers.js';

const role = (name: string, extra = ''): string => `---\n${HEADER}\nkind: PostgresRole\nmetadata:\n  name: ${name}\nspec:\n  instance: main\n${extra}`;
const database = (name: string, owner: string): string => `---\n${HEADER}\nkind: PostgresDatabase\nmetadata:\n  name: ${name}\nspec:\n  instance: main\n  owner: ${owner}\n`;

describe('the manifest cache', () => {
  let root: string;
  let cacheDir: string;

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'steward-cache-'));
    cacheDir = path.join(root, '.steward', 'cache', 'manifests');
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const write = (file: string, text: string): Promise<void> => writeFile(path.join(root, file), text);
  const cached = (): Promise<LoadResult> => loadManifests(root, { cacheDir });
  const uncached = (): Promise<LoadResult> => loadManifests(root);
  const entries = async (): Promise<readonly string[]> => (await readdir(cacheDir).catch(() => [])).filter((n) => n.endsWith('.json') && n !== 'project.json').sort();
  const projectEntry = (): string => path.join(cacheDir, 'project.json');
  /** Rewrites an entry's payload consistently (digest included), as only a deliberate edit could. */
  const rewrite = async (entry: string, edit: (payload: string) => string): Promise<void> => {
    const content = await readFile(entry, 'utf8');
    const newline = content.indexOf('\n');
    const header = JSON.parse(content.slice(0, newline)) as { digest: string };
    const payload = edit(content.slice(newline + 1));
    header.digest = createHash('sha256').update(payload).digest('hex');
    await writeFile(entry, `${JSON.stringify(header)}\n${payload}`);
  };
  const entryOf = (file: string): string => path.join(cacheDir, `${createHash('sha256').update(path.join(root, file)).digest('hex')}.json`);

  it('loads the same resources from the cache as from the files, and keeps itself out of git', async () => {
    await write('instance.yaml', INSTANCE_MAIN);
    await write('roles.yaml', role('app', '  login: true\n  dependsOn: [PostgresInstance/main]\n') + role('reporting'));
    await write('db.yaml', database('appdb', 'app'));
    await write(
      'labelled.yaml',
      `---\n${HEADER}\nkind: PostgresRole\nmetadata:\n  name: labelled\n  labels: { team: data }\n  annotations: { steward.dev/owner: data-team }\nspec:\n  instance: main\n`,
    );
    const first = await cached();
    expect(first.diagnostics).toEqual([]);
    expect(first.resources.find((r) => r.name === 'labelled')?.metadata).toEqual({ name: 'labelled', labels: { team: 'data' }, annotations: { 'steward.dev/owner': 'data-team' } });
    expect(await entries()).toHaveLength(4);
    expect(await readFile(path.join(cacheDir, '.gitignore'), 'utf8')).toBe('*\n');
    const second = await cached();
    expect(second).toEqual(first);
    expect(second).toEqual(await uncached());
  });

  it('reads the entry when the file is unchanged, and only then', async () => {
    await write('instance.yaml', INSTANCE_MAIN);
    await write('roles.yaml', role('app'));
    await cached();
    // An entry is trusted only through its key and digest: rewrite it consistently to prove it is
    // read (without the project's entry, which would answer first).
    await rm(projectEntry());
    await rewrite(entryOf('roles.yaml'), (payload) => payload.replace('"name":"app"', '"name":"from-cache"').replace('"address":"PostgresRole/app"', '"address":"PostgresRole/from-cache"'));
    expect((await cached()).resources.map((r) => r.address)).toEqual(['PostgresInstance/main', 'PostgresRole/from-cache']);

    // Editing the file invalidates it.
    await write('roles.yaml', role('edited'));
    expect((await cached()).resources.map((r) => r.address)).toEqual(['PostgresInstance/main', 'PostgresRole/edited']);
    expect((await cached()).resources.map((r) => r.address)).toEqual(['PostgresInstance/main', 'PostgresRole/edited']);
  });

  it('ignores a corrupt or truncated entry', async () => {
    await write('instance.yaml', INSTANCE_MAIN);
    await write('roles.yaml', role('app'));
    const first = await cached();
    const content = await readFile(entryOf('roles.yaml'), 'utf8');
    for (const broken of [content.slice(0, content.length - 20), content.replace('"name":"app"', '"name":"evil"'), 'not json\n[]', '']) {
      await writeFile(entryOf('roles.yaml'), broken);
      await rm(projectEntry(), { force: true });
      expect(await cached()).toEqual(first);
      await writeFile(projectEntry(), broken);
      expect(await cached()).toEqual(first);
    }
  });

  it('never caches a file with a problem, so every diagnostic stays exactly where it was', async () => {
    await write('instance.yaml', INSTANCE_MAIN);
    await write('roles.yaml', role('app', '  login: maybe\n  connectionLimit: 3\n'));
    const bad = await cached();
    expect(bad.diagnostics.map((d) => [d.code, d.location])).toEqual([['invalid-type', { file: path.join(root, 'roles.yaml'), line: 8, column: 10 }]]);
    expect(await entries()).toEqual([path.basename(entryOf('instance.yaml'))]);
    expect(await cached()).toEqual(bad);

    // A file that was cached while valid reports the same located diagnostic once it is broken.
    await write('roles.yaml', role('app', '  login: true\n'));
    expect((await cached()).diagnostics).toEqual([]);
    await write('roles.yaml', `${role('app', '  login: true\n')}  extra: [unclosed\n`);
    expect(await cached()).toEqual(await uncached());
    expect((await cached()).diagnostics[0]?.code).toBe('yaml-syntax');
  });

  it('locates problems found across files in cached files as the files themselves would', async () => {
    await write('instance.yaml', INSTANCE_MAIN);
    await write('roles.yaml', role('app'));
    await write('db.yaml', database('appdb', 'app'));
    expect((await cached()).diagnostics).toEqual([]);

    // The cached files now refer to an instance that is gone, and a new file repeats a name.
    await rm(path.join(root, 'instance.yaml'));
    await write('more.yaml', database('appdb', 'app'));
    const fromCache = await cached();
    expect([...new Set(fromCache.diagnostics.map((d) => d.code))].sort()).toEqual(['dangling-reference', 'duplicate-name']);
    expect(fromCache.diagnostics.find((d) => d.code === 'dangling-reference' && d.location?.file.endsWith('roles.yaml'))?.location).toEqual({
      file: path.join(root, 'roles.yaml'),
      line: 7,
      column: 13,
    });
    expect(fromCache).toEqual(await uncached());
  });

  it('keeps the resolved project while every file is as it was, and only then', async () => {
    await write('instance.yaml', INSTANCE_MAIN);
    await write('roles.yaml', role('app'));
    const first = await cached();
    expect(first.diagnostics).toEqual([]);
    await rewrite(projectEntry(), (payload) => payload.replace('["PostgresRole","app",', '["PostgresRole","whole",'));
    expect((await cached()).resources.map((r) => r.address)).toEqual(['PostgresInstance/main', 'PostgresRole/whole']);

    // Editing, adding or removing a file each leaves it unused; the load then stores the new project.
    await write('roles.yaml', role('edited'));
    expect((await cached()).resources.map((r) => r.address)).toEqual(['PostgresInstance/main', 'PostgresRole/edited']);
    await write('more.yaml', role('more'));
    expect((await cached()).resources.map((r) => r.address)).toEqual(['PostgresInstance/main', 'PostgresRole/more', 'PostgresRole/edited']);
    await rm(path.join(root, 'more.yaml'));
    const last = await cached();
    expect(last.resources.map((r) => r.address)).toEqual(['PostgresInstance/main', 'PostgresRole/edited']);
    expect(last).toEqual(await uncached());
    expect(await cached()).toEqual(last);

    // A load that reports anything is not stored: its problems are found again.
    await rm(projectEntry());
    await write('lost.yaml', `---\n${HEADER}\nkind: PostgresRole\nmetadata:\n  name: lost\nspec:\n  instance: nowhere\n`);
    const problem = await cached();
    expect(problem.diagnostics.length).toBeGreaterThan(0);
    await expect(readFile(projectEntry())).rejects.toThrow();
    expect(await cached()).toEqual(problem);
  });
});
