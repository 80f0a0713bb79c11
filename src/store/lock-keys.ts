/**
 * Advisory-lock keys, in the two-`int4` form `(namespace, key)` so they show up in `pg_locks` as
 * `classid = namespace, objid = key, objsubid = 2` and cannot collide with one-`bigint` keys
 * other applications use in the same database.
 */

/** `'STWD'` as an integer: every steward-wide lock. */
export const STEWARD_LOCK_NAMESPACE = 0x53545744;

/** Held (transaction-scoped) while migrations are checked and applied. */
export const MIGRATIONS_LOCK_KEY = 1;

/** Held (session-scoped, on a dedicated connection) while an apply runs. */
export const APPLY_LOCK_KEY = 2;

/**
 * `'STWR'`: transaction-scoped per-resource locks, keyed by `hashtext(address)`, so two writers of
 * the same address compute versions one after the other. A hash collision only serialises two
 * unrelated addresses, which is harmless.
 */
export const RESOURCE_LOCK_NAMESPACE = 0x53545752;
