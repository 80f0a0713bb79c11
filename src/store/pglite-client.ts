import { PGlite, type Transaction } from '@electric-sql/pglite';
import type { SqlClient, SqlParam, SqlQueryable } from './sql-client.js';

/**
 * PGlite's own start parameters, plus smaller shared buffers. PostgreSQL's default (128 MB) lives
 * in PGlite's WebAssembly memory and is resident as soon as the store opens, which alone would
 * put a `steward plan` over 256 MB; the state's working set is far smaller, and the files under
 * it stay in the operating system's cache. Durability settings are left alone (fsync stays on).
 */
const START_PARAMS: readonly string[] = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'];

/**
 * Opens (creating on first use) an embedded PostgreSQL in `dataDir`. PGlite runs inside this
 * process and must never be opened by two processes at once: the caller holds the store lock.
 */
export async function openPgliteClient(dataDir: string): Promise<SqlClient> {
  const db = new PGlite(dataDir, { startParams: [...START_PARAMS] });
  await db.waitReady;
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
