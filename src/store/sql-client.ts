/**
 * The only thing the store needs from a database: parameterised statements, parameter-free
 * scripts (migrations) and transactions. Both backends (PGlite and node-postgres) implement it, so
 * every repository above it is written once.
 */

/** A value bound to a `$n` placeholder. JSON is passed as text and cast with `$n::jsonb`. */
export type SqlParam = string | number | boolean | null;

export interface SqlQueryable {
  /**
   * Runs one statement with `$1`-style parameters and returns its rows. The row type is the
   * caller's promise about the selected columns; queries cast in SQL (`::int`, `::text`) so both
   * drivers return the same JavaScript types.
   */
  query<Row extends object = Record<string, unknown>>(sql: string, params?: readonly SqlParam[]): Promise<readonly Row[]>;
  /** Runs a script of statements without parameters (migrations, test set-up). */
  exec(script: string): Promise<void>;
}

export interface SqlClient extends SqlQueryable {
  readonly backend: 'embedded' | 'postgres';
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. Inside
   * `fn` use only `tx`; on PGlite the client itself is blocked until the transaction ends.
   */
  transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` on one connection held for its duration, outside any transaction: statements are
   * sent the moment they are issued, so a long read can keep the next query in flight while it
   * works. PGlite has a single connection and simply passes itself (nothing is blocked).
   */
  connection<T>(fn: (connection: SqlQueryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * Whether other transactions can run while one of this client's does: a shared PostgreSQL, yes;
 * the embedded store has one connection in one process and runs one transaction at a time.
 */
export function hasConcurrentWriters(client: SqlClient): boolean {
  return client.backend === 'postgres';
}

/** The SQLSTATE of a database error (both drivers put it in `code`), if there is one. */
export function sqlState(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const code = error.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/**
 * SQL for a `timestamptz` expression as an ISO 8601 UTC string with milliseconds, the same shape
 * as `Date.prototype.toISOString`, so records never carry driver-specific `Date` objects.
 */
export function isoTimestamp(expression: string): string {
  return `to_char((${expression}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}
