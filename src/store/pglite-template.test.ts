import { PGlite } from '@electric-sql/pglite';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS } from './migrations.js';
import { openStoreWithClient } from './open-store.js';

describe('the embedded store template', () => {
  let cache: string;
  const previous = process.env['XDG_CACHE_HOME'];
  const dirs: string[] = [];

  beforeAll(async () => {
    cache = await mkdtemp(join(tmpdir(), 'steward-cache-home-'));
    process.env['XDG_CACHE_HOME'] = cache;
  });
  afterAll(async () => {
    if (previous === undefined) delete process.env['XDG_CACHE_HOME'];
    else process.env['XDG_CACHE_HOME'] = previous;
    await Promise.all([cache, ...dirs].map((d) => rm(d, { recursive: true, force: true })));
  });

  const project = async (): Promise<string> => {
    const dir = await mkdtemp(join(tmpdir(), 'steward-template-project-'));
    dirs.push(dir);
    return dir;
  };
  const templates = async (): Promise<readonly string[]> => (await readdir(join(cache, 'steward')).catch(() => [])).filter((n) => n.startsWith('pglite-'));

  /** Opens a new project's store and returns whether it holds the marker table, after checking it works. */
  async function newStoreHasMarker(): Promise<boolean> {
    const { store, client } = await openStoreWithClient({ projectDir: await project(), command: 'test' });
    try {
      const runId = await store.startRun({ command: 'apply', actor: 'test' });
      await store.putResource(
        { address: 'PostgresRole/a', kind: 'PostgresRole', name: 'a', target: null, specHash: 'x', spec: null, attributes: {}, providerId: null, dependencies: [], protect: false },
        { runId, action: 'create' },
      );
      expect((await store.listResources()).map((r) => r.address)).toEqual(['PostgresRole/a']);
      expect((await store.audit.verify()).ok).toBe(true);
      const [row] = await client.query<{ marked: boolean }>("SELECT to_regclass('public.template_marker') IS NOT NULL AS marked");
      return row?.marked === true;
    } finally {
      await store.close();
    }
  }

  it('creates the first cluster itself and keeps a template of it', async () => {
    expect(await templates()).toEqual([]);
    expect(await newStoreHasMarker()).toBe(false);
    expect(await templates()).toHaveLength(1);
  });

  it('starts a new cluster from the template', async () => {
    const [name] = await templates();
    const template = join(cache, 'steward', name!);
    // Make the template recognisable: the same cluster, now holding a marker table.
    const db = new PGlite(template);
    // The template already holds the store's schema: a new store has no migration left to run.
    const migrated = await db.query<{ versions: number }>('SELECT count(*)::int AS versions FROM steward.schema_migrations');
    expect(migrated.rows[0]?.versions).toBe(MIGRATIONS.length);
    // Only the database the store uses: initdb's template databases are not copied into every store.
    const databases = await db.query<{ datname: string }>('SELECT datname FROM pg_catalog.pg_database ORDER BY datname');
    expect(databases.rows.map((r) => r.datname)).toEqual(['postgres']);
    expect(await readdir(join(template, 'base'))).toHaveLength(1);
    await db.exec('CREATE TABLE public.template_marker (id int)');
    await db.close();
    expect(await newStoreHasMarker()).toBe(true);
    // The new store is a copy: writing to it left the template as it was.
    expect(await readdir(template)).toContain('PG_VERSION');
  });

  it('removes other templates no new store has used for 30 days, and keeps the rest', async () => {
    const [name] = await templates();
    const current = join(cache, 'steward', name!);
    const days = (n: number): Date => new Date(Date.now() - n * 24 * 60 * 60 * 1000);
    const leftover = async (dirName: string, age: number): Promise<void> => {
      const dir = join(cache, 'steward', dirName);
      await mkdir(join(dir, 'base'), { recursive: true });
      await writeFile(join(dir, 'PG_VERSION'), '17\n');
      await utimes(dir, days(age), days(age));
    };
    await leftover('pglite-0.4.0-0123456789abcdef', 45);
    await leftover('pglite-0.5.16-fedcba9876543210', 3);
    await leftover('pglite-0.5.16-fedcba9876543210.4242.a1b2c3.tmp', 31);
    // The template in use is old too, but a new store is made from it now (the marked one above).
    await utimes(current, days(90), days(90));
    expect(await newStoreHasMarker()).toBe(true);
    expect([...(await templates())].sort()).toEqual([name, 'pglite-0.5.16-fedcba9876543210'].sort());
    expect((await stat(current)).mtimeMs).toBeGreaterThan(days(1).getTime());
  });

  it('creates the cluster itself when the template is unusable, and replaces the template', async () => {
    const [name] = await templates();
    const template = join(cache, 'steward', name!);
    await rm(template, { recursive: true, force: true });
    await mkdir(template);
    await writeFile(join(template, 'PG_VERSION'), 'not a cluster');
    expect(await newStoreHasMarker()).toBe(false);
    expect((await readFile(join(template, 'PG_VERSION'), 'utf8')).trim()).toMatch(/^\d+$/);
    expect(await newStoreHasMarker()).toBe(false);
  });
});
