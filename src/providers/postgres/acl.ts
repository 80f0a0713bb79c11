import { granteeEntryKeys, heldIn, NO_PRIVILEGES, parseAcl } from './aclitem.js';
import type { DatabaseConnection } from './connection.js';
import type { PrivilegeMap } from './privilege-math.js';

/** Objects that exist, each with the ACL entries of at least the grantees read for (built-in defaults included when unset). */
export interface AclSnapshot {
  readonly objects: ReadonlySet<string>;
  /**
   * What `grantee` (a role name; `''` is PUBLIC) holds on `object` (`schema.table`,
   * `schema.table.column`, `schema`, `database`, or a function's regprocedure text), as aclexplode
   * would report it; empty when nothing. Callers only read the map.
   */
  held(object: string, grantee: string): PrivilegeMap;
  /** For `all` grants: object keys by schema. */
  readonly bySchema: ReadonlyMap<string, readonly string[]>;
}

/** One object of a read: its key, its schema (null for schemas and databases) and its ACL's items (null when it has none). */
type SnapshotEntry = readonly [object: string, nspname: string | null, acl: readonly string[] | null];

/**
 * The first lookup on an object reads only the grantee's own items of its ACL; a second one parses
 * the whole ACL once for the rest. Verifying a batch asks about few grantees of each object it
 * touches; a full refresh asks about every grantee of every object.
 */
function snapshot(entries: readonly SnapshotEntry[]): AclSnapshot {
  const objects = new Set<string>();
  const bySchema = new Map<string, string[]>();
  const acls = new Map<string, readonly string[]>();
  for (const [object, nspname, acl] of entries) {
    objects.add(object);
    if (nspname !== null) {
      const list = bySchema.get(nspname);
      if (list) list.push(object);
      else bySchema.set(nspname, [object]);
    }
    if (acl !== null) acls.set(object, acl);
  }
  const asked = new Set<string>();
  const parsed = new Map<string, ReadonlyMap<string, PrivilegeMap>>();
  const held = (object: string, grantee: string): PrivilegeMap => {
    const acl = acls.get(object);
    if (acl === undefined) return NO_PRIVILEGES;
    let byGrantee = parsed.get(object);
    if (byGrantee === undefined) {
      if (!asked.has(object)) {
        asked.add(object);
        return heldIn(acl, grantee);
      }
      parsed.set(object, (byGrantee = parseAcl(acl)));
    }
    return byGrantee.get(grantee) ?? NO_PRIVILEGES;
  };
  return { objects, bySchema, held };
}

/** A snapshot of nothing. */
export const EMPTY_SNAPSHOT: AclSnapshot = snapshot([]);

// Object keys are the plain names joined with dots, as Steward names objects (`schema.table`);
// functions and types use regprocedure / regtype, PostgreSQL's own canonical spelling. Each read
// returns the ACLs as they are stored (the built-in default when unset), in their text form: the
// server does no more than list the objects, and the client parses only the ACLs a grant asks
// about. Expanding them with aclexplode instead costs the server tens of thousands of rows for ten
// thousand grants, and aggregating those again costs it more than the client's whole parse.
const RELATIONS = `
SELECT n.nspname || '.' || c.relname AS object, n.nspname, coalesce(c.relacl, acldefault(CASE WHEN c.relkind = 'S' THEN 's'::"char" ELSE 'r'::"char" END, c.relowner))::text[] AS acl
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = ANY($1::text[]) AND c.relkind = ANY($2::"char"[])`;

const COLUMNS = `
SELECT n.nspname || '.' || c.relname || '.' || att.attname AS object, n.nspname, att.attacl::text[] AS acl
  FROM pg_catalog.pg_attribute att
  JOIN pg_catalog.pg_class c ON c.oid = att.attrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = ANY($1::text[]) AND att.attnum > 0 AND NOT att.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f')`;

const FUNCTIONS = `
SELECT p.oid::regprocedure::text AS object, n.nspname, coalesce(p.proacl, acldefault('f', p.proowner))::text[] AS acl
  FROM pg_catalog.pg_proc p
  JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = ANY($1::text[]) AND p.prokind IN ('f', 'a', 'w')`;

const TYPES = `
SELECT t.oid::regtype::text AS object, n.nspname, coalesce(t.typacl, acldefault('T', t.typowner))::text[] AS acl
  FROM pg_catalog.pg_type t
  JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
 WHERE n.nspname = ANY($1::text[]) AND t.typcategory <> 'A'`;

const SCHEMAS = `
SELECT n.nspname AS object, NULL::text AS nspname, coalesce(n.nspacl, acldefault('n', n.nspowner))::text[] AS acl
  FROM pg_catalog.pg_namespace n
 WHERE n.nspname = ANY($1::text[])`;

const DATABASES = `
SELECT d.datname AS object, NULL::text AS nspname, coalesce(d.datacl, acldefault('d', d.datdba))::text[] AS acl
  FROM pg_catalog.pg_database d
 WHERE d.datname = ANY($1::text[])`;

/**
 * Up to this many grantees, a read keeps only their entries. Verifying a batch asks about its
 * grantees, and the tables they touch also hold the entries of every other grantee: on the
 * benchmark's 10,000 grants, when a batch still spanned every schema, the filter cut the text
 * sent and parsed per read from 0.95 MB to 0.21 MB at no cost to the server. A full refresh asks
 * about every grantee, and there a filter of 1,000 names doubled the server's time and left nearly
 * everything in. A batch of nearby grants (see `BatchCapability.locality`) touches the tables of a
 * few schemas, whose entries are read whole when it names more grantees than this.
 */
const FILTERED_READ_GRANTEES = 400;

/**
 * One row whatever the number of objects: the objects of a read as one JSON array of
 * {@link SnapshotEntry}. For a few grantees (role names; `''` is PUBLIC) only their entries are
 * sent: those whose text starts with one of their names (see `granteeEntryKeys`).
 */
async function read(db: DatabaseConnection, objects: string, params: readonly unknown[], grantees: readonly string[]): Promise<AclSnapshot> {
  const filtered = grantees.length <= FILTERED_READ_GRANTEES;
  // `IN (SELECT unnest(...))`, not `= ANY(...)`: the server compares each ACL entry with the names
  // through a hash table instead of one by one. For 200 grantees and the benchmark's 38,000
  // entries per read, that took its verification reads from 376 ms to 96 ms.
  const acl = filtered ? `ARRAY(SELECT i FROM unnest(acl) i WHERE split_part(i, '=', 1) IN (SELECT unnest($${params.length + 1}::text[])))` : 'acl';
  const { rows } = await db.query<{ snapshot: string }>(
    `SELECT coalesce(json_agg(json_build_array(object, nspname, ${acl})), '[]')::text AS snapshot FROM (${objects}) o`,
    filtered ? [...params, granteeEntryKeys(grantees)] : params,
  );
  return snapshot(JSON.parse(rows[0]?.snapshot ?? '[]') as readonly SnapshotEntry[]);
}

export const RELKINDS = { table: ['r', 'p', 'v', 'm', 'f'], sequence: ['S'] } as const;

export async function readRelations(db: DatabaseConnection, schemas: readonly string[], relkinds: readonly string[], grantees: readonly string[]): Promise<AclSnapshot> {
  return read(db, RELATIONS, [schemas, relkinds], grantees);
}

export async function readColumns(db: DatabaseConnection, schemas: readonly string[], grantees: readonly string[]): Promise<AclSnapshot> {
  return read(db, COLUMNS, [schemas], grantees);
}

export async function readFunctions(db: DatabaseConnection, schemas: readonly string[], grantees: readonly string[]): Promise<AclSnapshot> {
  return read(db, FUNCTIONS, [schemas], grantees);
}

export async function readTypes(db: DatabaseConnection, schemas: readonly string[], grantees: readonly string[]): Promise<AclSnapshot> {
  return read(db, TYPES, [schemas], grantees);
}

export async function readSchemas(db: DatabaseConnection, schemas: readonly string[], grantees: readonly string[]): Promise<AclSnapshot> {
  return read(db, SCHEMAS, [schemas], grantees);
}

export async function readDatabases(db: DatabaseConnection, databases: readonly string[], grantees: readonly string[]): Promise<AclSnapshot> {
  return read(db, DATABASES, [databases], grantees);
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
