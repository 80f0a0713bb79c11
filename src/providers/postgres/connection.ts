import pg from 'pg';
import { StewardError, type DesiredResource } from '../../core/index.js';
import type { EnvRef, PostgresInstanceSpec, StringOrEnv } from '../../kinds/index.js';

/** A pool to one instance that counts the statements it sends. */
export interface InstanceConnection {
  readonly address: string;
  query<R extends pg.QueryResultRow>(text: string, params?: readonly unknown[]): Promise<pg.QueryResult<R>>;
  /** Runs `fn` on one connection inside BEGIN/COMMIT, rolling back on error. */
  transaction<T>(fn: (query: (text: string, params?: readonly unknown[]) => Promise<pg.QueryResult>) => Promise<T>): Promise<T>;
  readonly statementCount: number;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** Upper bound on concurrent connections, matched to apply parallelism. */
  readonly maxConnections: number;
  /** Applied to every session so a blocked catalog write fails instead of hanging. */
  readonly lockTimeoutMs: number;
}

function fromEnv(address: string, field: string, ref: EnvRef, env: NodeJS.ProcessEnv): string {
  const value = env[ref.env];
  if (value === undefined || value === '') {
    throw new StewardError('connection-failed', `${address}: environment variable ${ref.env} (spec.${field}) is not set`);
  }
  return value;
}

function resolve(address: string, field: string, value: StringOrEnv, env: NodeJS.ProcessEnv): string {
  return typeof value === 'string' ? value : fromEnv(address, field, value, env);
}

/** Turns a PostgresInstance declaration into node-postgres settings, reading referenced variables. */
export function connectionConfig(target: DesiredResource<PostgresInstanceSpec>, env: NodeJS.ProcessEnv = process.env): pg.PoolConfig {
  const spec = target.spec;
  const address = target.address;
  const portText = typeof spec.port === 'number' ? String(spec.port) : fromEnv(address, 'port', spec.port, env);
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new StewardError('connection-failed', `${address}: spec.port resolved to "${portText}", which is not a TCP port`);
  }
  const ssl: pg.PoolConfig['ssl'] =
    spec.sslmode === 'disable' || spec.sslmode === 'prefer'
      ? false
      : spec.sslmode === 'require'
        ? { rejectUnauthorized: false }
        : { rejectUnauthorized: true };
  return {
    host: resolve(address, 'host', spec.host, env),
    port,
    database: resolve(address, 'database', spec.database, env),
    user: resolve(address, 'user', spec.user, env),
    password: spec.password ? fromEnv(address, 'password', spec.password, env) : undefined,
    ssl,
    application_name: 'steward',
  };
}

export async function connectInstance(
  target: DesiredResource<PostgresInstanceSpec>,
  options: ConnectOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<InstanceConnection> {
  const config = connectionConfig(target, env);
  const pool = new pg.Pool({
    ...config,
    max: Math.max(1, options.maxConnections),
    options: `-c lock_timeout=${Math.max(0, Math.trunc(options.lockTimeoutMs))}`,
  });
  // An idle client losing its server must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  try {
    const probe = await pool.connect();
    probe.release();
  } catch (error) {
    await pool.end().catch(() => undefined);
    const message = error instanceof Error ? error.message : String(error);
    throw new StewardError(
      'connection-failed',
      `${target.address}: cannot connect to ${config.user}@${config.host}:${config.port}/${config.database}: ${message}`,
      { kind: 'transient', cause: error },
    );
  }
  let statements = 0;
  return {
    address: target.address,
    query: async <R extends pg.QueryResultRow>(text: string, params?: readonly unknown[]) => {
      statements += 1;
      return pool.query<R>(text, params as unknown[] | undefined);
    },
    transaction: async <T>(fn: (query: (text: string, params?: readonly unknown[]) => Promise<pg.QueryResult>) => Promise<T>) => {
      const client = await pool.connect();
      try {
        statements += 1;
        await client.query('BEGIN');
        const result = await fn(async (text, params) => {
          statements += 1;
          return client.query(text, params as unknown[] | undefined);
        });
        statements += 1;
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    get statementCount() {
      return statements;
    },
    close: async () => {
      await pool.end();
    },
  };
}
