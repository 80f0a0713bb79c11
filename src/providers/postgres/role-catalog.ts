/**
 * How a role is read from the catalog, shared by observation (role.ts) and import (discover.ts)
 * so that what import writes is exactly what a refresh compares against.
 */
export interface RoleCatalogRow {
  readonly rolname: string;
  readonly rolsuper: boolean;
  readonly rolinherit: boolean;
  readonly rolcreaterole: boolean;
  readonly rolcreatedb: boolean;
  readonly rolcanlogin: boolean;
  readonly rolreplication: boolean;
  readonly rolbypassrls: boolean;
  readonly rolconnlimit: number;
  /** ISO 8601 in UTC with milliseconds; null for no expiry (NULL or 'infinity'). */
  readonly valid_until: string | null;
  readonly rolconfig: readonly string[] | null;
  readonly comment: string | null;
}

/** The columns of {@link RoleCatalogRow}, selected from `pg_catalog.pg_roles r`. */
export const ROLE_COLUMNS = `r.rolname, r.rolsuper, r.rolinherit, r.rolcreaterole, r.rolcreatedb, r.rolcanlogin,
       r.rolreplication, r.rolbypassrls, r.rolconnlimit,
       CASE WHEN r.rolvaliduntil IS NULL OR r.rolvaliduntil = 'infinity' THEN NULL
            ELSE to_char(r.rolvaliduntil AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') END AS valid_until,
       r.rolconfig,
       shobj_description(r.oid, 'pg_authid') AS comment`;

/** A role's attributes as Steward names them (PostgresRole's fields). */
export function roleFields(row: RoleCatalogRow) {
  return {
    login: row.rolcanlogin,
    superuser: row.rolsuper,
    createdb: row.rolcreatedb,
    createrole: row.rolcreaterole,
    inherit: row.rolinherit,
    replication: row.rolreplication,
    bypassrls: row.rolbypassrls,
    connectionLimit: row.rolconnlimit,
    validUntil: row.valid_until,
    config: roleConfig(row.rolconfig),
    comment: row.comment,
  } as const;
}

/** `rolconfig` entries (`name=value`) as a map with lower-case names, sorted by name. */
export function roleConfig(entries: readonly string[] | null): Readonly<Record<string, string>> {
  const config: [string, string][] = [];
  for (const entry of entries ?? []) {
    const eq = entry.indexOf('=');
    if (eq > 0) config.push([entry.slice(0, eq).toLowerCase(), entry.slice(eq + 1)]);
  }
  return Object.fromEntries(config.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
