import type { DatabaseConnection } from './connection.js';

/** Privilege → whether it is held with grant option. */
export type HeldPrivileges = ReadonlyMap<string, boolean>;

/** Objects that exist, each with every ACL entry on it (built-in defaults included when unset). */
export interface AclSnapshot {
  readonly objects: ReadonlySet<string>;
  /**
   * The ACL entries as aclexplode reports them, indexed by object (`schema.table`,
   * `schema.table.column`, `schema`, `database`, or a function's regprocedure text), then by
   * grantee (role OID as text; `0` is PUBLIC). Indexed once here so each grant looks up its own
   * objects instead of scanning every entry of the database per object.
   */
  readonly held: ReadonlyMap<string, ReadonlyMap<string, HeldPrivileges>>;
  /** For `all` grants: object keys by schema. */
  readonly bySchema: ReadonlyMap<string, readonly string[]>;
}

interface Row {
  readonly object: string;
  readonly nspname: string | null;
  readonly grantee: string | null;
  readonly privilege: string | null;
  readonly grantable: boolean | null;
}

function snapshot(rows: readonly Row[]): AclSnapshot {
  const objects = new Set<string>();
  const bySchema = new Map<string, string[]>();
  const held = new Map<string, Map<string, Map<string, boolean>>>();
  for (const row of rows) {
    if (!objects.has(row.object)) {
      objects.add(row.object);
      if (row.nspname !== null) {
        const list = bySchema.get(row.nspname);
        if (list) list.push(row.object);
        else bySchema.set(row.nspname, [row.object]);
      }
    }
    if (row.grantee !== null && row.privilege !== null) {
      let byGrantee = held.get(row.object);
      if (!byGrantee) held.set(row.object, (byGrantee = new Map()));
      let privileges = byGrantee.get(row.grantee);
      if (!privileges) byGrantee.set(row.grantee, (privileges = new Map()));
      // Several grantors may grant the same privilege; it is grantable if any of them made it so.
      privileges.set(row.privilege, (privileges.get(row.privilege) ?? false) || row.grantable === true);
    }
  }
  return { objects, held, bySchema };
}

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

export const RELKINDS = { table: ['r', 'p', 'v', 'm', 'f'], sequence: ['S'] } as const;

export async function readRelations(db: DatabaseConnection, schemas: readonly string[], relkinds: readonly string[], grantees: Grantees): Promise<AclSnapshot> {
  return snapshot((await db.query<Row>(RELATIONS, [schemas, relkinds, ...granteeParams(grantees)])).rows);
}

export async function readColumns(db: DatabaseConnection, schemas: readonly string[], grantees: Grantees): Promise<AclSnapshot> {
  return snapshot((await db.query<Row>(COLUMNS, [schemas, ...granteeParams(grantees)])).rows);
}

export async function readFunctions(db: DatabaseConnection, schemas: readonly string[], grantees: Grantees): Promise<AclSnapshot> {
  return snapshot((await db.query<Row>(FUNCTIONS, [schemas, ...granteeParams(grantees)])).rows);
}

export async function readTypes(db: DatabaseConnection, schemas: readonly string[], grantees: Grantees): Promise<AclSnapshot> {
  return snapshot((await db.query<Row>(TYPES, [schemas, ...granteeParams(grantees)])).rows);
}

export async function readSchemas(db: DatabaseConnection, schemas: readonly string[], grantees: Grantees): Promise<AclSnapshot> {
  return snapshot((await db.query<Row>(SCHEMAS, [schemas, ...granteeParams(grantees)])).rows);
}

export async function readDatabases(db: DatabaseConnection, databases: readonly string[], grantees: Grantees): Promise<AclSnapshot> {
  return snapshot((await db.query<Row>(DATABASES, [databases, ...granteeParams(grantees)])).rows);
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
