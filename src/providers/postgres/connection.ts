import pg from 'pg';
import { StewardError, type DesiredResource } from '../../core/index.js';
import type { EnvRef, PostgresInstanceSpec, StringOrEnv } from '../../kinds/index.js';
import { ConnectionWaits } from './connection-waits.js';
import { RELEASE_SESSION_LOCKS_SQL, sessionCatalogLocksSql } from './object-lock.js';

/** Statements against one database of the instance. */
export interface DatabaseConnection {
  readonly database: string;
  query<R extends pg.QueryResultRow>(text: string, params?: readonly unknown[]): Promise<pg.QueryResult<R>>;
  transaction<T>(fn: (query: (text: string, params?: readonly unknown[]) => Promise<pg.QueryResult>) => Promise<T>): Promise<T>;
  /**
   * Runs scripts without parameters, each as a transaction of its own (BEGIN, its statements,
   * COMMIT), all sent in a single message. The server then holds each transaction's locks only
   * while it runs its statements: with a statement per round trip they stay held until this
   * process gets round to sending the next one, which a busy process delays. The first statement
   * to fail rolls its transaction back and ends the message: the transactions before it stay
   * committed, those after it never run.
   *
   * Messages to one database go one at a time, in the order asked for: each waits for the one
   * before it to finish (whether it failed or not). With catalog writers side by side in one
   * database, each statement that scans a catalog (`GRANT ... ON ALL TABLES IN SCHEMA` reads
   * pg_class five times) read about four times as many pages, the others' updates having left
   * dead row versions in them: on the benchmark's 10,000 grants, four messages at once cost the
   * server three times as long on those statements as one at a time. Callers still overlap
   * everything else (recording, verifying) with the messages.
   *
   * `locks` are catalog lock keys (see object-lock.ts) held for the whole message: taken before
   * its first transaction, in sorted order, and released after its last one, or after the one that
   * failed. One statement per key for the message instead of one per key in every transaction: on
   * the benchmark's 10,000 grants that saved the server 10,000 statements.
   */
  transactions(scripts: readonly string[], locks?: readonly string[]): Promise<void>;
}

/** A pool to one instance that counts the statements it sends. */
export interface InstanceConnection {
  readonly address: string;
  /** The server's `server_version_num`, e.g. 180004. */
  readonly serverVersion: number;
  /** The database the instance connects to (spec.database). */
  readonly defaultDatabase: string;
  /**
   * A connection to another database of the same instance (schemas, grants and default privileges
   * live per database), opened on first use with the same credentials.
   */
  database(name: string): DatabaseConnection;
  query<R extends pg.QueryResultRow>(text: string, params?: readonly unknown[]): Promise<pg.QueryResult<R>>;
  /** Runs `fn` on one connection inside BEGIN/COMMIT, rolling back on error. */
  transaction<T>(fn: (query: (text: string, params?: readonly unknown[]) => Promise<pg.QueryResult>) => Promise<T>): Promise<T>;
  readonly statementCount: number;
  /** Resolves once no statement asked for so far waits for a connection to open (see {@link ConnectionWaits}). */
  sent(): Promise<void>;
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

/**
 * Decrypted values of the Secrets instance passwords refer to (`{secretRef: NAME}`), by Secret
 * name. The app layer reads them from the encrypted store once per command; they stay in memory.
 */
export type InstanceSecrets = ReadonlyMap<string, string>;

/** The message for a `{secretRef}` password whose Secret has no current value. */
export function missingSecretMessage(address: string, secret: string): string {
  return `${address}: spec.password refers to Secret/${secret}, which has no value yet; set it with steward secret set ${secret} (reads stdin)`;
}

/** The password of the instance, from the environment or the Secrets resolved for this command. */
export function instancePassword(target: DesiredResource<PostgresInstanceSpec>, env: NodeJS.ProcessEnv = process.env, secrets?: InstanceSecrets): string | undefined {
  const ref = target.spec.password;
  if (ref === undefined) return undefined;
  if ('env' in ref) return fromEnv(target.address, 'password', ref, env);
  const value = secrets?.get(ref.secretRef);
  if (value !== undefined) return value;
  if (secrets === undefined) {
    // A caller that connects without resolving the project's Secrets first: a bug, said plainly.
    throw new StewardError('internal', `${target.address}: spec.password refers to Secret/${ref.secretRef}, which was not read from the store for this command`);
  }
  throw new StewardError('invalid-input', missingSecretMessage(target.address, ref.secretRef));
}

/** Where the instance is and who Steward connects as, without the password. */
export function endpointConfig(target: DesiredResource<PostgresInstanceSpec>, env: NodeJS.ProcessEnv = process.env): pg.PoolConfig {
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
    ssl,
    application_name: 'steward',
  };
}

/**
 * Turns a PostgresInstance declaration into node-postgres settings, reading referenced variables
 * and, for `password: {secretRef}`, the value from `secrets`.
 */
export function connectionConfig(target: DesiredResource<PostgresInstanceSpec>, env: NodeJS.ProcessEnv = process.env, secrets?: InstanceSecrets): pg.PoolConfig {
  const endpoint = endpointConfig(target, env);
  return { ...endpoint, password: instancePassword(target, env, secrets) };
}

type Query = (text: string, params?: readonly unknown[]) => Promise<pg.QueryResult>;

/** No-op: a checked-out client's connection error also fails its query, which reports it. */
const ignoreClientError = (): void => undefined;

/**
 * One query on a client of the pool, as `pool.query` runs it (a client whose query failed is not
 * handed out again), with the wait for the client counted in `waits`.
 */
async function pooledQuery<R extends pg.QueryResultRow>(pool: pg.Pool, waits: ConnectionWaits, text: string, params?: readonly unknown[]): Promise<pg.QueryResult<R>> {
  const client = await waits.connect(pool);
  // A connection lost while checked out emits `error` on its client: unheard, it ends the process.
  client.on('error', ignoreClientError);
  let failure: Error | undefined;
  try {
    return await client.query<R>(text, params as unknown[] | undefined);
  } catch (error) {
    failure = error instanceof Error ? error : new Error(String(error));
    throw error;
  } finally {
    client.removeListener('error', ignoreClientError);
    client.release(failure);
  }
}

function counted(pool: pg.Pool, waits: ConnectionWaits, count: () => void, database: string): DatabaseConnection {
  const send = async (scripts: readonly string[], locks: readonly string[]): Promise<void> => {
    const client = await waits.connect(pool);
    const take = sessionCatalogLocksSql(locks);
    const release = take.length > 0 ? [RELEASE_SESSION_LOCKS_SQL] : [];
    // True while the session may hold a lock: such a session is closed rather than handed out again.
    let holdsLocks = false;
    try {
      count();
      holdsLocks = release.length > 0;
      await client.query([...take, ...scripts.map((text) => `BEGIN;\n${text};\nCOMMIT`), ...release].map((s) => `${s};`).join('\n'));
      holdsLocks = false;
    } catch (error) {
      // A failed statement leaves its transaction open and aborted, and the rest of the message unsent.
      await client.query(['ROLLBACK', ...release].join('; ')).then(
        () => (holdsLocks = false),
        () => undefined,
      );
      throw error;
    } finally {
      client.release(holdsLocks);
    }
  };
  // The last message asked for, settled either way: the next one starts after it.
  let previous: Promise<void> = Promise.resolve();
  return {
    database,
    query: async <R extends pg.QueryResultRow>(text: string, params?: readonly unknown[]) => {
      count();
      return pooledQuery<R>(pool, waits, text, params);
    },
    transaction: async <T>(fn: (query: Query) => Promise<T>) => {
      const client = await waits.connect(pool);
      try {
        count();
        await client.query('BEGIN');
        const result = await fn(async (text, params) => {
          count();
          return client.query(text, params as unknown[] | undefined);
        });
        count();
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    transactions: (scripts: readonly string[], locks: readonly string[] = []) => {
      if (scripts.length === 0) return Promise.resolve();
      const sent = previous.then(() => send(scripts, locks));
      previous = sent.catch(() => undefined);
      return sent;
    },
  };
}

function connectionError(target: DesiredResource, config: pg.PoolConfig, error: unknown): StewardError {
  const message = error instanceof Error ? error.message : String(error);
  return new StewardError(
    'connection-failed',
    `${target.address}: cannot connect to ${config.user}@${config.host}:${config.port}/${config.database}: ${message}`,
    { kind: 'transient', cause: error },
  );
}

export async function connectInstance(
  target: DesiredResource<PostgresInstanceSpec>,
  options: ConnectOptions,
  env: NodeJS.ProcessEnv = process.env,
  secrets?: InstanceSecrets,
): Promise<InstanceConnection> {
  const config = connectionConfig(target, env, secrets);
  const poolFor = (database: string, max: number): pg.Pool => {
    // client_connection_check_interval: a session whose Steward process died (kill -9) stops within
    // a second even while it waits on a lock, so nothing it sent lands later, and its locks go.
    const settings = `-c lock_timeout=${Math.max(0, Math.trunc(options.lockTimeoutMs))} -c client_connection_check_interval=1000`;
    const pool = new pg.Pool({ ...config, database, max, options: settings });
    // An idle client losing its server must not crash the process; the next query reports it.
    pool.on('error', () => undefined);
    return pool;
  };
  const main = poolFor(String(config.database), Math.max(1, options.maxConnections));
  let serverVersion = 0;
  try {
    const { rows } = await main.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
    serverVersion = Number(rows[0]?.v ?? 0);
  } catch (error) {
    await main.end().catch(() => undefined);
    throw connectionError(target, config, error);
  }
  // Counts what the session sends for the work asked of it; the version probe above is setup.
  let statements = 0;
  const count = (): void => {
    statements += 1;
  };
  const pools: pg.Pool[] = [main];
  const waits = new ConnectionWaits();
  const primary = counted(main, waits, count, String(config.database));
  // One per database, so messages of transactions to it queue in one place (see `transactions`).
  const connections = new Map<string, DatabaseConnection>([[primary.database, primary]]);
  return {
    address: target.address,
    serverVersion,
    defaultDatabase: String(config.database),
    query: primary.query,
    transaction: primary.transaction,
    database: (name) => {
      let connection = connections.get(name);
      if (connection === undefined) {
        // Grants and schemas mostly live in databases other than the instance's own: give them
        // the same parallelism, or a 16-worker apply would run two at a time there.
        const pool = poolFor(name, Math.max(1, options.maxConnections));
        pools.push(pool);
        connection = counted(pool, waits, count, name);
        connections.set(name, connection);
      }
      return connection;
    },
    get statementCount() {
      return statements;
    },
    sent: () => waits.sent(),
    close: async () => {
      await Promise.all(pools.map((p) => p.end()));
    },
  };
}
