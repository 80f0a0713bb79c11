import pg from 'pg';
import type { SqlClient, SqlParam, SqlQueryable } from './sql-client.js';

interface Queryable {
  query(text: string, values?: SqlParam[]): Promise<{ rows: unknown[] }>;
}

function wrap(target: Queryable): SqlQueryable {
  return {
    async query<Row extends object>(sql: string, params: readonly SqlParam[] = []): Promise<readonly Row[]> {
      const result = await target.query(sql, [...params]);
      // The driver types rows loosely; the query's SQL casts decide their real shape.
      return result.rows as Row[];
    },
    async exec(script: string): Promise<void> {
      // Without parameters node-postgres uses the simple protocol, which accepts several statements.
      await target.query(script);
    },
  };
}

/**
 * A pool of connections to a PostgreSQL store. `applicationName` shows up in `pg_stat_activity`,
 * so an operator can see which steward command holds a connection.
 */
export function openPgClient(connectionString: string, applicationName: string): SqlClient {
  const pool = new pg.Pool({
    connectionString,
    application_name: applicationName,
    max: 4,
    // An idle pool must not keep a finished command alive.
    allowExitOnIdle: true,
  });
  // An idle connection dropped by the server emits here; without a listener the process would
  // crash. The next query reports the failure instead.
  pool.on('error', () => undefined);
  const base = wrap(pool);
  return {
    backend: 'postgres',
    query: base.query,
    exec: base.exec,
    async transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T> {
      const connection = await pool.connect();
      let broken: Error | undefined;
      try {
        await connection.query('BEGIN');
        const result = await fn(wrap(connection));
        await connection.query('COMMIT');
        return result;
      } catch (error) {
        await connection.query('ROLLBACK').catch((rollbackError: unknown) => {
          // A connection that cannot roll back is unusable: destroy it rather than reuse it.
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        });
        throw error;
      } finally {
        connection.release(broken);
      }
    },
    async connection<T>(fn: (connection: SqlQueryable) => Promise<T>): Promise<T> {
      const connection = await pool.connect();
      try {
        return await fn(wrap(connection));
      } finally {
        connection.release();
      }
    },
    async close(): Promise<void> {
      if (!pool.ended) await pool.end();
    },
  };
}
