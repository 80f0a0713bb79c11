/**
 * Test support (not shipped behaviour): fresh stores on both backends for the shared behavioural
 * suites. Kept free of vitest imports; the test files pass in the server from `inject('pg')`.
 */
import { randomBytes } from 'node:crypto';
import { access, cp, mkdir, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { canonicalJson, sha256Hex } from '../../core/hash.js';
import { MIGRATIONS } from '../migrations.js';
import { openStoreWithClient, type OpenedStore, type OpenStoreInternalOptions } from '../open-store.js';
import type { Store } from '../types.js';

export interface PgServer {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
}

export function databaseUrl(server: PgServer, database: string): string {
  return `postgres://${encodeURIComponent(server.user)}:${encodeURIComponent(server.password)}@${server.host}:${server.port}/${database}`;
}

async function adminQuery(server: PgServer, sql: string): Promise<void> {
  const client = new pg.Client({ ...server, database: 'postgres' });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A place for one store: a project directory (embedded) or a new database (PostgreSQL). */
export interface StoreSite {
  readonly projectDir: string;
  readonly databaseUrl: string | undefined;
  open(options?: Partial<OpenStoreInternalOptions>): Promise<OpenedStore>;
}

export interface Backend {
  readonly name: 'embedded' | 'postgres';
  /** A new, empty site; removed by `dispose`. */
  site(): Promise<StoreSite>;
  dispose(): Promise<void>;
}

function siteOf(projectDir: string, url: string | undefined): StoreSite {
  return {
    projectDir,
    databaseUrl: url,
    open: (options = {}) => openStoreWithClient({ projectDir, databaseUrl: url, command: 'test', ...options }),
  };
}

/**
 * Embedded: creating a PGlite cluster takes seconds, so sites start from a copy of a template
 * data directory (see `sharedTemplate`). Creating a store from nothing is tested on its own.
 */
export function embeddedBackend(): Backend {
  const dirs: string[] = [];
  let template: Promise<string> | undefined;
  const newDir = async (): Promise<string> => {
    const dir = await mkdtemp(join(tmpdir(), 'steward-store-test-'));
    dirs.push(dir);
    return dir;
  };
  return {
    name: 'embedded',
    async site(): Promise<StoreSite> {
      template ??= sharedTemplate();
      const state = await template;
      const dir = await newDir();
      await mkdir(join(dir, '.steward'));
      await cp(state, join(dir, '.steward', 'state'), { recursive: true });
      return siteOf(dir, undefined);
    },
    async dispose(): Promise<void> {
      await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
    },
  };
}

/**
 * A closed, migrated PGlite data directory shared by every test file (and run) with the same
 * migrations: made once with the real `openStore` in a private directory, then renamed into
 * place atomically so concurrent test workers never see half of one.
 */
async function sharedTemplate(): Promise<string> {
  const pglite = await readFile(fileURLToPath(new URL('../../../node_modules/@electric-sql/pglite/package.json', import.meta.url)), 'utf8');
  const key = sha256Hex(canonicalJson([MIGRATIONS, (JSON.parse(pglite) as { version: string }).version])).slice(0, 16);
  const shared = join(tmpdir(), `steward-store-test-template-${key}`);
  try {
    await access(join(shared, 'PG_VERSION'));
    return shared;
  } catch {
    // Not made yet: make it below.
  }
  const dir = await mkdtemp(join(tmpdir(), 'steward-store-template-'));
  try {
    const { store } = await siteOf(dir, undefined).open();
    await store.close();
    await rename(join(dir, '.steward', 'state'), shared).catch(async (error: unknown) => {
      // Another worker won the race; its template is as good as ours.
      await access(join(shared, 'PG_VERSION')).catch(() => {
        throw error;
      });
    });
    return shared;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** PostgreSQL: a new database with a unique name on the shared server for every site. */
export function postgresBackend(server: PgServer): Backend {
  const databases: string[] = [];
  const dirs: string[] = [];
  return {
    name: 'postgres',
    async site(): Promise<StoreSite> {
      // Generated from hex digits only, so it is safe to splice into CREATE DATABASE (which
      // takes no parameters).
      const database = `steward_store_${randomBytes(6).toString('hex')}`;
      await adminQuery(server, `CREATE DATABASE ${database}`);
      databases.push(database);
      const dir = await mkdtemp(join(tmpdir(), 'steward-store-test-'));
      dirs.push(dir);
      return siteOf(dir, databaseUrl(server, database));
    },
    async dispose(): Promise<void> {
      for (const database of databases) await adminQuery(server, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
    },
  };
}

export function backends(server: PgServer): readonly Backend[] {
  return [embeddedBackend(), postgresBackend(server)];
}

/** Runs `body` with a store opened on a new, empty site of `backend`, and always closes it. */
export async function withFreshStore(backend: Backend, body: (store: Store) => Promise<void>): Promise<void> {
  const { store } = await (await backend.site()).open();
  try {
    await body(store);
  } finally {
    await store.close();
  }
}
