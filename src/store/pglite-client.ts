import { PGlite, type Transaction } from '@electric-sql/pglite';
import { access, rm } from 'node:fs/promises';
import { setFlagsFromString } from 'node:v8';
import { copyTemplate, discardTemplate, makeTemplate, templatePath } from './pglite-template.js';
import type { SqlClient, SqlParam, SqlQueryable } from './sql-client.js';

/**
 * PGlite's own start parameters, plus:
 * - smaller shared buffers. PostgreSQL's default (128 MB) lives in PGlite's WebAssembly memory and
 *   is resident as soon as the store opens, which alone would put a `steward plan` over 256 MB;
 *   the state's working set is far smaller, and the files under it stay in the operating system's
 *   cache.
 * - new WAL segments are not filled with zeros first. Zero-filling reserves disk space ahead of
 *   use; it protects no data, and it was a third of what an apply from scratch wrote (16 MB per
 *   segment, through this process's own thread).
 * PGlite's durability settings are otherwise left as they are.
 */
const START_PARAMS: readonly string[] = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB', '-c', 'wal_init_zero=off'];

/**
 * What every new cluster gets before its first use, done once per machine in the template (see
 * `pglite-template.ts`): `key` names what `prepare` does, so a template prepared otherwise is
 * never used.
 */
export interface ClusterPreparation {
  readonly key: string;
  prepare(client: SqlClient): Promise<void>;
}

/**
 * What a template holds besides the caller's preparation, named in its key: only the database the
 * store uses. initdb also creates `template0` and `template1`, which only `CREATE DATABASE` reads
 * and the store never runs; they were 600 of a new cluster's 1,050 files and 14 of its 39 MB, and
 * copying them was half of opening a new store.
 */
const TEMPLATE_LAYOUT = 'one database';

/** Where this process keeps the template of a new embedded cluster prepared so, if anywhere. */
export function embeddedTemplatePath(preparation: ClusterPreparation): Promise<string | undefined> {
  return templatePath(START_PARAMS, `${TEMPLATE_LAYOUT}:${preparation.key}`);
}

/** Removes the databases `CREATE DATABASE` copies from; a template must not be one to be dropped. */
async function dropTemplateDatabases(db: PGlite): Promise<void> {
  await db.exec("UPDATE pg_catalog.pg_database SET datistemplate = false WHERE datname IN ('template0', 'template1')");
  await db.exec('DROP DATABASE template0');
  await db.exec('DROP DATABASE template1');
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/**
 * PGlite's WebAssembly is compiled by V8's baseline compiler (Liftoff) only. By default V8 also
 * recompiles hot functions with its optimising compiler in the background: for a store that runs
 * a handful of statements per command that costs more than it gains — about 70 MB of peak memory
 * and 150 ms of CPU (on two cores it competes with the command itself) for opening the store and
 * reading 10,000 records. Set once, before the module is first compiled; it applies to this
 * process's WebAssembly only.
 */
let baselineOnly = false;
function compileWasmWithBaselineOnly(): void {
  if (baselineOnly) return;
  setFlagsFromString('--liftoff-only');
  baselineOnly = true;
}

async function started(dataDir: string): Promise<PGlite> {
  compileWasmWithBaselineOnly();
  const db = new PGlite(dataDir, { startParams: [...START_PARAMS] });
  try {
    await db.waitReady;
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
  return db;
}

/** A new cluster in `dataDir` copied from the template, started; undefined when there is no usable template (an unusable one is discarded). */
async function startedCopy(template: string, dataDir: string): Promise<PGlite | undefined> {
  try {
    return (await copyTemplate(template, dataDir)) ? await started(dataDir) : undefined;
  } catch {
    await rm(dataDir, { recursive: true, force: true });
    await discardTemplate(template);
    return undefined;
  }
}

/**
 * The cluster in `dataDir`. A new one is a copy of the machine's template, which is made (once)
 * when there is none or it is unusable; PGlite creates the cluster in place when there is nowhere
 * to keep a template.
 */
async function openPglite(dataDir: string, preparation: ClusterPreparation | undefined): Promise<PGlite> {
  if (await exists(dataDir)) return started(dataDir);
  const template = preparation === undefined ? undefined : await embeddedTemplatePath(preparation);
  if (template === undefined || preparation === undefined) return started(dataDir);
  const copied = await startedCopy(template, dataDir);
  if (copied !== undefined) return copied;
  await makeTemplate(template, async (dir) => {
    const db = await started(dir);
    try {
      await dropTemplateDatabases(db);
      await preparation.prepare(clientOf(db));
    } finally {
      await db.close();
    }
  });
  return (await startedCopy(template, dataDir)) ?? started(dataDir);
}

/**
 * Opens (creating on first use) an embedded PostgreSQL in `dataDir`. PGlite runs inside this
 * process and must never be opened by two processes at once: the caller holds the store lock.
 * A new cluster starts as a copy of the machine's template prepared as `preparation` says (the
 * caller's own start-up, such as migrations, still runs on every open).
 */
export async function openPgliteClient(dataDir: string, preparation?: ClusterPreparation): Promise<SqlClient> {
  return clientOf(await openPglite(dataDir, preparation));
}

function clientOf(db: PGlite): SqlClient {
  const wrap = (target: PGlite | Transaction): SqlQueryable => ({
    async query<Row extends object>(sql: string, params: readonly SqlParam[] = []): Promise<readonly Row[]> {
      const result = await target.query<Row>(sql, [...params]);
      return result.rows;
    },
    async exec(script: string): Promise<void> {
      await target.exec(script);
    },
  });
  const base = wrap(db);
  return {
    backend: 'embedded',
    query: base.query,
    exec: base.exec,
    transaction: <T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T> => db.transaction((tx) => fn(wrap(tx))),
    connection: <T>(fn: (connection: SqlQueryable) => Promise<T>): Promise<T> => fn(base),
    async close(): Promise<void> {
      if (!db.closed) await db.close();
    },
  };
}
