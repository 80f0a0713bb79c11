import { ROLE_COLUMNS, type RoleCatalogRow } from './role-catalog.js';
import { WATCH_SCHEMA } from './watch-sql.js';

/**
 * The catalog queries of `discoverInstance`: four for the cluster and three per database, whatever
 * the number of roles or objects. Privileges come from `aclexplode`, each object's ACL next to
 * the ACL it started with (`pg_init_privs`, else `acldefault`), so only deliberate changes are
 * imported. Objects whose ACL was never changed (NULL) produce no rows at all.
 */

/** Schemas Steward never imports: PostgreSQL's own, the SQL standard's and the running agent's watch schema. */
const USER_SCHEMA = `n.nspname !~ '^pg_' AND n.nspname NOT IN ('information_schema', '${WATCH_SCHEMA}')`;

/** Objects created by CREATE EXTENSION belong to the extension, not to the user. */
function notInExtension(catalog: string, oid: string): string {
  return `NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = '${catalog}'::regclass AND e.objid = ${oid} AND e.deptype = 'e')`;
}

export interface RoleRow extends RoleCatalogRow {
  readonly is_self: boolean;
  /** ALTER ROLE ... IN DATABASE ... SET: PostgresRole has no field for it. */
  readonly database_settings: boolean;
}

// The same columns the role handler observes, so imported roles compare equal on refresh.
export const ROLES = `
SELECT ${ROLE_COLUMNS}, r.rolname = current_user AS is_self,
       EXISTS (SELECT 1 FROM pg_catalog.pg_db_role_setting s WHERE s.setrole = r.oid AND s.setdatabase <> 0) AS database_settings
  FROM pg_catalog.pg_roles r
 ORDER BY r.rolname`;

export interface MembershipRow {
  readonly role: string;
  readonly member: string;
  readonly admin: boolean;
  readonly inherit: boolean | null;
  readonly set: boolean | null;
  readonly member_inherits: boolean;
}

/** Since PostgreSQL 16 a pair may have one grant per grantor; an option holds if any grants it (as observed). */
export function membershipsQuery(serverVersion: number): string {
  const options =
    serverVersion >= 160000 ? 'bool_or(am.inherit_option) AS inherit, bool_or(am.set_option) AS set' : 'NULL::boolean AS inherit, NULL::boolean AS set';
  return `
SELECT r.rolname AS role, m.rolname AS member, bool_or(am.admin_option) AS admin, ${options}, m.rolinherit AS member_inherits
  FROM pg_catalog.pg_auth_members am
  JOIN pg_catalog.pg_roles r ON r.oid = am.roleid
  JOIN pg_catalog.pg_roles m ON m.oid = am.member
 GROUP BY r.rolname, m.rolname, m.rolinherit
 ORDER BY 1, 2`;
}

export interface DatabaseRow {
  readonly datname: string;
  readonly owner: string;
  readonly encoding: string;
  readonly datconnlimit: number;
  readonly comment: string | null;
  readonly datallowconn: boolean;
  readonly datistemplate: boolean;
  /** ALTER DATABASE ... SET: PostgresDatabase has no field for it. */
  readonly settings: boolean;
}

export const DATABASES = `
SELECT d.datname, pg_catalog.pg_get_userbyid(d.datdba) AS owner, pg_catalog.pg_encoding_to_char(d.encoding) AS encoding,
       d.datconnlimit, shobj_description(d.oid, 'pg_database') AS comment, d.datallowconn, d.datistemplate,
       EXISTS (SELECT 1 FROM pg_catalog.pg_db_role_setting s WHERE s.setdatabase = d.oid AND s.setrole = 0) AS settings
  FROM pg_catalog.pg_database d
 ORDER BY d.datname`;

/** One privilege of one grantee on one object: as held now (`held`) or as the object started (`initial`). */
export interface AclRow {
  /** `procedure`: read only to report it, PostgresGrant has no such object type. */
  readonly kind: 'database' | 'schema' | 'table' | 'sequence' | 'column' | 'function' | 'procedure' | 'type';
  readonly schema: string | null;
  readonly object: string;
  readonly column: string | null;
  readonly owner: string;
  readonly source: 'held' | 'initial';
  /** A role name, or PUBLIC. */
  readonly grantee: string;
  readonly privilege: string;
  readonly grantable: boolean;
  /** The schema's name needs quoting in SQL (upper case, spaces, ...). */
  readonly schema_quoted: boolean;
}

/** Explodes the `acl` and `initial` columns of the `objects` CTE into AclRows. */
const EXPLODE = `
SELECT o.kind, o.schema, o.object, o.column, pg_catalog.pg_get_userbyid(o.owner) AS owner, x.source, o.schema_quoted,
       coalesce(g.rolname, 'PUBLIC') AS grantee, a.privilege_type AS privilege, a.is_grantable AS grantable
  FROM objects o
 CROSS JOIN LATERAL (VALUES ('held'::text, o.acl), ('initial'::text, o.initial)) x(source, acl)
 CROSS JOIN LATERAL aclexplode(x.acl) a
  LEFT JOIN pg_catalog.pg_roles g ON g.oid = a.grantee`;

/** Database ACLs are cluster-wide: read once, for the databases being imported. */
export const DATABASE_ACLS = `
WITH objects AS (
  SELECT 'database'::text AS kind, NULL::text AS schema, d.datname::text AS object, NULL::text AS column,
         d.datdba AS owner, d.datacl AS acl, acldefault('d', d.datdba) AS initial, false AS schema_quoted
    FROM pg_catalog.pg_database d
   WHERE d.datname = ANY($1::text[]) AND d.datacl IS NOT NULL)
${EXPLODE}`;

function initPrivs(catalog: string, oid: string, subid = '0'): string {
  return `(SELECT ip.initprivs FROM pg_catalog.pg_init_privs ip WHERE ip.classoid = '${catalog}'::regclass AND ip.objoid = ${oid} AND ip.objsubid = ${subid})`;
}

/**
 * Every changed ACL in one database: schemas, tables and other relations, sequences, columns,
 * functions, procedures (to report them: PostgresGrant does not cover them) and types. Function names are
 * `name(argtypes)` as `to_regprocedure` reads them; type names as `to_regtype` reads them.
 */
export const OBJECT_ACLS = `
WITH ns AS (
  SELECT n.oid, n.nspname::text AS nspname, quote_ident(n.nspname) <> n.nspname AS quoted FROM pg_catalog.pg_namespace n
   WHERE ${USER_SCHEMA} AND ${notInExtension('pg_catalog.pg_namespace', 'n.oid')}),
objects AS (
  SELECT 'schema'::text AS kind, NULL::text AS schema, ns.nspname AS object, NULL::text AS column, n.nspowner AS owner, n.nspacl AS acl,
         coalesce(${initPrivs('pg_catalog.pg_namespace', 'n.oid')}, acldefault('n', n.nspowner)) AS initial, ns.quoted AS schema_quoted
    FROM pg_catalog.pg_namespace n JOIN ns ON ns.oid = n.oid
   WHERE n.nspacl IS NOT NULL
  UNION ALL
  SELECT CASE WHEN c.relkind = 'S' THEN 'sequence' ELSE 'table' END, ns.nspname, c.relname::text, NULL, c.relowner, c.relacl,
         coalesce(${initPrivs('pg_catalog.pg_class', 'c.oid')}, acldefault(CASE WHEN c.relkind = 'S' THEN 's'::"char" ELSE 'r'::"char" END, c.relowner)), ns.quoted
    FROM pg_catalog.pg_class c JOIN ns ON ns.oid = c.relnamespace
   WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND c.relacl IS NOT NULL AND ${notInExtension('pg_catalog.pg_class', 'c.oid')}
  UNION ALL
  SELECT 'column', ns.nspname, c.relname::text, att.attname::text, c.relowner, att.attacl,
         coalesce(${initPrivs('pg_catalog.pg_class', 'c.oid', 'att.attnum')}, NULL::aclitem[]), ns.quoted
    FROM pg_catalog.pg_attribute att
    JOIN pg_catalog.pg_class c ON c.oid = att.attrelid
    JOIN ns ON ns.oid = c.relnamespace
   WHERE att.attacl IS NOT NULL AND att.attnum > 0 AND NOT att.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
     AND ${notInExtension('pg_catalog.pg_class', 'c.oid')}
  UNION ALL
  SELECT CASE WHEN p.prokind = 'p' THEN 'procedure' ELSE 'function' END, ns.nspname, quote_ident(p.proname) || '(' || pg_catalog.oidvectortypes(p.proargtypes) || ')', NULL, p.proowner, p.proacl,
         coalesce(${initPrivs('pg_catalog.pg_proc', 'p.oid')}, acldefault('f', p.proowner)), ns.quoted
    FROM pg_catalog.pg_proc p JOIN ns ON ns.oid = p.pronamespace
   WHERE p.prokind IN ('f', 'a', 'w', 'p') AND p.proacl IS NOT NULL AND ${notInExtension('pg_catalog.pg_proc', 'p.oid')}
  UNION ALL
  SELECT 'type', ns.nspname, quote_ident(t.typname), NULL, t.typowner, t.typacl,
         coalesce(${initPrivs('pg_catalog.pg_type', 't.oid')}, acldefault('T', t.typowner)), ns.quoted
    FROM pg_catalog.pg_type t JOIN ns ON ns.oid = t.typnamespace
   WHERE t.typacl IS NOT NULL AND t.typcategory <> 'A' AND ${notInExtension('pg_catalog.pg_type', 't.oid')}
     AND (t.typrelid = 0 OR EXISTS (SELECT 1 FROM pg_catalog.pg_class r WHERE r.oid = t.typrelid AND r.relkind = 'c')))
${EXPLODE}`;

export interface SchemaRow {
  readonly nspname: string;
  readonly owner: string;
  readonly comment: string | null;
  /** The `public` schema exactly as a new database has it (owner and comment). */
  readonly pristine_public: boolean;
}

// The public schema's initial owner is pg_database_owner (15+) or the bootstrap superuser (14).
export const SCHEMAS = `
SELECT n.nspname, pg_catalog.pg_get_userbyid(n.nspowner) AS owner, obj_description(n.oid, 'pg_namespace') AS comment,
       n.nspname = 'public' AND (pg_catalog.pg_get_userbyid(n.nspowner) = 'pg_database_owner' OR n.nspowner = 10)
         AND obj_description(n.oid, 'pg_namespace') IS NOT DISTINCT FROM 'standard public schema' AS pristine_public
  FROM pg_catalog.pg_namespace n
 WHERE ${USER_SCHEMA} AND ${notInExtension('pg_catalog.pg_namespace', 'n.oid')}
 ORDER BY n.nspname`;

export interface DefaultAclRow {
  readonly owner: string;
  /** null: the whole database. */
  readonly schema: string | null;
  /** pg_default_acl.defaclobjtype: r, S, f, T, n (and L for large objects on 18+). */
  readonly objtype: string;
  readonly source: 'held' | 'initial';
  readonly grantee: string;
  readonly privilege: string;
  readonly grantable: boolean;
}

/**
 * A database-wide entry replaces the built-in defaults (so it is compared with `acldefault`); an
 * entry for one schema only adds to them (so it is compared with nothing).
 */
export const DEFAULT_ACLS = `
WITH entries AS (
  SELECT d.defaclrole, n.nspname::text AS schema, d.defaclobjtype::text AS objtype, d.defaclacl AS acl,
         CASE WHEN d.defaclnamespace <> 0 OR d.defaclobjtype NOT IN ('r', 'S', 'f', 'T', 'n') THEN NULL::aclitem[]
              ELSE acldefault(CASE d.defaclobjtype WHEN 'S' THEN 's'::"char" ELSE d.defaclobjtype END, d.defaclrole) END AS initial
    FROM pg_catalog.pg_default_acl d
    LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace)
SELECT pg_catalog.pg_get_userbyid(e.defaclrole) AS owner, e.schema, e.objtype, x.source,
       coalesce(g.rolname, 'PUBLIC') AS grantee, a.privilege_type AS privilege, a.is_grantable AS grantable
  FROM entries e
 CROSS JOIN LATERAL (VALUES ('held'::text, e.acl), ('initial'::text, e.initial)) x(source, acl)
 CROSS JOIN LATERAL aclexplode(x.acl) a
  LEFT JOIN pg_catalog.pg_roles g ON g.oid = a.grantee`;
