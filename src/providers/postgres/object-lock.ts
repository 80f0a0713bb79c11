import { literal } from './quote.js';

type Query = (text: string, params?: readonly unknown[]) => Promise<unknown>;

/** The statement that takes one catalog lock, with parameters (namespace, key). */
export const CATALOG_LOCK_SQL = 'SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))';
export const CATALOG_LOCK_NAMESPACE = 'steward.catalog';

/**
 * Serialises catalog writes to the same object for the rest of the transaction. Concurrent
 * GRANT/ALTER statements on one catalog row fail with "tuple concurrently updated"; every handler
 * that writes a database, schema or relation row takes these locks first, always in sorted
 * order, so two writers never deadlock. Keys: `database:NAME`, `DATABASE/SCHEMA`.
 */
export async function lockCatalogObjects(query: Query, keys: readonly string[]): Promise<void> {
  for (const key of [...new Set(keys)].sort()) {
    await query(CATALOG_LOCK_SQL, [CATALOG_LOCK_NAMESPACE, key]);
  }
}

/**
 * Statements that take catalog locks for the rest of the session rather than the transaction, in
 * sorted order as `lockCatalogObjects` takes them: one message of many transactions holds them
 * across all of them (see `DatabaseConnection.transactions`). One statement per lock, so the order
 * is the order they are sent in. They conflict with the transaction-level locks of the same keys.
 */
export function sessionCatalogLocksSql(keys: readonly string[]): readonly string[] {
  return [...new Set(keys)].sort().map((key) => `SELECT pg_advisory_lock(hashtext(${literal(CATALOG_LOCK_NAMESPACE)}), hashtext(${literal(key)}))`);
}

/** Releases every lock `sessionCatalogLocksSql` took (a catalog session holds no other session-level advisory lock). */
export const RELEASE_SESSION_LOCKS_SQL = 'SELECT pg_advisory_unlock_all()';

export const databaseLockKey = (database: string): string => `database:${database}`;
export const schemaLockKey = (database: string, schema: string): string => `${database}/${schema}`;
