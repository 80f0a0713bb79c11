import type { DatabaseConnection } from './connection.js';

/** Privilege → whether it is held with grant option. */
export type HeldPrivileges = ReadonlyMap<string, boolean>;

/** Objects that exist, each with every ACL entry on it (built-in defaults included when unset). */
export interface AclSnapshot {
  readonly objects: ReadonlySet<string>;
  /**
   * What `grantee` (role OID as text; `0` is PUBLIC) holds on `object` (`schema.table`,
   * `schema.table.column`, `schema`, `database`, or a function's regprocedure text), as aclexplode
   * reports it; empty when nothing. Callers only read the map.
   */
  held(object: string, grantee: string): HeldPrivileges;
  /** For `all` grants: object keys by schema. */
  readonly bySchema: ReadonlyMap<string, readonly string[]>;
}

/**
 * One object of a read: its key, its schema (null for schemas and databases) and, by grantee, the
 * privileges held as aclexplode lists them, `,`-separated with `*` marking a grant option (null
 * when none of the grantees read holds anything).
 */
type SnapshotEntry = readonly [object: string, nspname: string | null, held: Readonly<Record<string, string>> | null];

const NOTHING: HeldPrivileges = new Map();

/**
 * `SELECT,INSERT*` → privilege → grantable. Several grantors may grant the same privilege: it is
 * grantable if any of them made it so. A read of ten thousand grants holds a handful of distinct
 * lists, so each is parsed once per process and shared (nobody writes to them).
 */
const parsedLists = new Map<string, HeldPrivileges>();
function parseHeld(list: string): HeldPrivileges {
  let parsed = parsedLists.get(list);
  if (parsed === undefined) {
    const held = new Map<string, boolean>();
    for (const item of list.split(',')) {
      const grantable = item.endsWith('*');
      const privilege = grantable ? item.slice(0, -1) : item;
      held.set(privilege, (held.get(privilege) ?? false) || grantable);
    }
    parsedLists.set(list, (parsed = held));
  }
  return parsed;
}

function snapshot(entries: readonly SnapshotEntry[]): AclSnapshot {
  const objects = new Set<string>();
  const bySchema = new Map<string, string[]>();
  const byObject = new Map<string, Readonly<Record<string, string>>>();
  for (const [object, nspname, held] of entries) {
    objects.add(object);
    if (nspname !== null) {
      const list = bySchema.get(nspname);
      if (list) list.push(object);
      else bySchema.set(nspname, [object]);
    }
    if (held !== null) byObject.set(object, held);
  }
  return {
    objects,
    bySchema,
    held(object, grantee) {
      const list = byObject.get(object)?.[grantee];
      return list === undefined ? NOTHING : parseHeld(list);
    },
  };
}

/** A snapshot of nothing. */
export const EMPTY_SNAPSHOT: AclSnapshot = snapshot([]);

/**
 * The grantees whose entries a read returns: role names, and PUBLIC. Each grant only looks at its
 * own grantee's entries, so the others are left on the server — verifying a batch of grants then
 * reads its grantees' entries, not every entry of every object in their schemas.
 */
export interface Grantees {
  readonly roles: readonly string[];
  readonly public: boolean;
}

/**
 * `aclexplode(acl)` narrowed to the grantees passed as parameters $n (role names) and $n+1
 * (PUBLIC too). Used in a LEFT JOIN, so an object with no such entry still yields one row and is
 * known to exist.
 */
function forGrantees(acl: string, n: number): string {
  return `(SELECT e.* FROM aclexplode(${acl}) e
     WHERE e.grantee IN (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = ANY($${n}::text[])) OR (e.grantee = 0 AND $${n + 1}::boolean))`;
}

const granteeParams = (grantees: Grantees): readonly unknown[] => [grantees.roles, grantees.public];

// Object keys are the plain names joined with dots, as Steward names objects (`schema.table`);
// functions and types use regprocedure / regtype, PostgreSQL's own canonical spelling.
const RELATIONS = `
SELECT n.nspname || '.' || c.relname AS object, n.nspname, a.grantee::oid::text AS grantee, a.privilege_type AS privilege, a.is_grantable AS grantable
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN LATERAL ${forGrantees(`coalesce(c.relacl, acldefault(CASE WHEN c.relkind = 'S' THEN 's'::"char" ELSE 'r'::"char" END, c.relowner))`, 3)} a ON true
 WHERE n.nspname = ANY($1::text[]) AND c.relkind = ANY($2::"char"[])`;

const COLUMNS = `
SELECT n.nspname || '.' || c.relname || '.' || att.attname AS object, n.nspname, a.grantee::oid::text AS grantee, a.privilege_type AS privilege, a.is_grantable AS grantable
  FROM pg_catalog.pg_attribute att
  JOIN pg_catalog.pg_class c ON c.oid = att.attrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN LATERAL ${forGrantees('att.attacl', 2)} a ON true
 WHERE n.nspname = ANY($1::text[]) AND att.attnum > 0 AND NOT att.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f')`;

const FUNCTIONS = `
SELECT p.oid::regprocedure::text AS object, n.nspname, a.grantee::oid::text AS grantee, a.privilege_type AS privilege, a.is_grantable AS grantable
  FROM pg_catalog.pg_proc p
  JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
  LEFT JOIN LATERAL ${forGrantees(`coalesce(p.proacl, acldefault('f', p.proowner))`, 2)} a ON true
 WHERE n.nspname = ANY($1::text[]) AND p.prokind IN ('f', 'a', 'w')`;

const TYPES = `
SELECT t.oid::regtype::text AS object, n.nspname, a.grantee::oid::text AS grantee, a.privilege_type AS privilege, a.is_grantable AS grantable
  FROM pg_catalog.pg_type t
  JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
  LEFT JOIN LATERAL ${forGrantees(`coalesce(t.typacl, acldefault('T', t.typowner))`, 2)} a ON true
 WHERE n.nspname = ANY($1::text[]) AND t.typcategory <> 'A'`;

const SCHEMAS = `
SELECT n.nspname AS object, NULL::text AS nspname, a.grantee::oid::text AS grantee, a.privilege_type AS privilege, a.is_grantable AS grantable
  FROM pg_catalog.pg_namespace n
  LEFT JOIN LATERAL ${forGrantees(`coalesce(n.nspacl, acldefault('n', n.nspowner))`, 2)} a ON true
 WHERE n.nspname = ANY($1::text[])`;

const DATABASES = `
SELECT d.datname AS object, NULL::text AS nspname, a.grantee::oid::text AS grantee, a.privilege_type AS privilege, a.is_grantable AS grantable
  FROM pg_catalog.pg_database d
  LEFT JOIN LATERAL ${forGrantees(`coalesce(d.datacl, acldefault('d', d.datdba))`, 2)} a ON true
 WHERE d.datname = ANY($1::text[])`;

/**
 * One row whatever the number of entries: the entries of an ACL read (columns object, nspname,
 * grantee, privilege, grantable) aggregated by the server into one JSON array of
 * {@link SnapshotEntry}. Ten thousand grants make tens of thousands of entries, which decoded row
 * by row and field by field cost the client several times what one JSON.parse of them does.
 */
function aggregated(entries: string): string {
  return `
SELECT coalesce(json_agg(json_build_array(object, nspname, held)), '[]')::text AS snapshot FROM (
  SELECT object, nspname, json_object_agg(grantee, privileges) FILTER (WHERE grantee IS NOT NULL) AS held FROM (
    SELECT object, nspname, grantee, string_agg(privilege || CASE WHEN grantable THEN '*' ELSE '' END, ',') AS privileges
      FROM (${entries}) e
     GROUP BY object, nspname, grantee
  ) g GROUP BY object, nspname
) o`;
}

async function read(db: DatabaseConnection, entries: string, params: readonly unknown[]): Promise<AclSnapshot> {
  const { rows } = await db.query<{ snapshot: string }>(aggregated(entries), params);
  return snapshot(JSON.parse(rows[0]?.snapshot ?? '[]') as readonly SnapshotEntry[]);
}

export const RELKINDS = { table: ['r', 'p', 'v', 'm', 'f'], sequence: ['S'] } as const;

export async function readRelations(db: DatabaseConnection, schemas: readonly string[], relkinds: readonly string[], grantees: Grantees): Promise<AclSnapshot> {
  return read(db, RELATIONS, [schemas, relkinds, ...granteeParams(grantees)]);
}

export async function readColumns(db: DatabaseConnection, schemas: readonly string[], grantees: Grantees): Promise<AclSnapshot> {
  return read(db, COLUMNS, [schemas, ...granteeParams(grantees)]);
}

export async function readFunctions(db: DatabaseConnection, schemas: readonly string[], grantees: Grantees): Promise<AclSnapshot> {
  return read(db, FUNCTIONS, [schemas, ...granteeParams(grantees)]);
}

export async function readTypes(db: DatabaseConnection, schemas: readonly string[], grantees: Grantees): Promise<AclSnapshot> {
  return read(db, TYPES, [schemas, ...granteeParams(grantees)]);
}

export async function readSchemas(db: DatabaseConnection, schemas: readonly string[], grantees: Grantees): Promise<AclSnapshot> {
  return read(db, SCHEMAS, [schemas, ...granteeParams(grantees)]);
}

export async function readDatabases(db: DatabaseConnection, databases: readonly string[], grantees: Grantees): Promise<AclSnapshot> {
  return read(db, DATABASES, [databases, ...granteeParams(grantees)]);
}

/** A function or type as Steward names it (`key`) and as SQL text the server can resolve (`text`, schema quoted). */
export interface NamedObject {
  readonly key: string;
  readonly text: string;
}

/**
 * Canonical names of the named functions and types the grants mention (`calc(int)` →
 * `billing.calc(integer)`), resolved by the server in one query; unknown ones map to null.
 */
export async function resolveRoutinesAndTypes(
  db: DatabaseConnection,
  functions: readonly NamedObject[],
  types: readonly NamedObject[],
): Promise<ReadonlyMap<string, string | null>> {
  if (functions.length === 0 && types.length === 0) return new Map();
  const { rows } = await db.query<{ name: string; resolved: string | null }>(
    `SELECT k AS name, to_regprocedure(t)::text AS resolved FROM unnest($1::text[], $2::text[]) AS f(k, t)
     UNION ALL SELECT k, to_regtype(t)::text FROM unnest($3::text[], $4::text[]) AS y(k, t)`,
    [functions.map((f) => f.key), functions.map((f) => f.text), types.map((t) => t.key), types.map((t) => t.text)],
  );
  return new Map(rows.map((r) => [r.name, r.resolved]));
}
