import type { Attributes, DesiredResource, FieldChange, JsonValue } from '../../core/index.js';
import { POSTGRES_ROLE, normalizeTimestamp, parameterItems, type PostgresRoleSpec } from '../../kinds/index.js';
import type { InstanceConnection } from './connection.js';
import { providerError, sqlState } from './errors.js';
import type { KindHandler } from './kind-handler.js';
import { ident, literal } from './quote.js';

interface RoleRow {
  readonly oid: string;
  readonly rolname: string;
  readonly rolsuper: boolean;
  readonly rolinherit: boolean;
  readonly rolcreaterole: boolean;
  readonly rolcreatedb: boolean;
  readonly rolcanlogin: boolean;
  readonly rolreplication: boolean;
  readonly rolbypassrls: boolean;
  readonly rolconnlimit: number;
  readonly valid_until: string | null;
  readonly rolconfig: readonly string[] | null;
  readonly comment: string | null;
}

/** One catalog query for every named role, whatever their number. */
const OBSERVE_ROLES = `
SELECT r.oid::text AS oid, r.rolname, r.rolsuper, r.rolinherit, r.rolcreaterole, r.rolcreatedb, r.rolcanlogin,
       r.rolreplication, r.rolbypassrls, r.rolconnlimit,
       CASE WHEN r.rolvaliduntil IS NULL OR r.rolvaliduntil = 'infinity' THEN NULL
            ELSE to_char(r.rolvaliduntil AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') END AS valid_until,
       r.rolconfig,
       shobj_description(r.oid, 'pg_authid') AS comment
  FROM pg_catalog.pg_roles r
 WHERE r.rolname = ANY($1::text[])`;

function parseConfig(entries: readonly string[] | null): Record<string, JsonValue> {
  const config: Record<string, JsonValue> = {};
  for (const entry of entries ?? []) {
    const eq = entry.indexOf('=');
    if (eq > 0) config[entry.slice(0, eq).toLowerCase()] = entry.slice(eq + 1);
  }
  return Object.fromEntries(Object.entries(config).sort(([a], [b]) => a.localeCompare(b)));
}

function rowAttributes(row: RoleRow): Attributes {
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
    config: parseConfig(row.rolconfig),
    comment: row.comment,
  };
}

const FLAGS: readonly (readonly [keyof PostgresRoleSpec & string, string])[] = [
  ['login', 'LOGIN'],
  ['superuser', 'SUPERUSER'],
  ['createdb', 'CREATEDB'],
  ['createrole', 'CREATEROLE'],
  ['inherit', 'INHERIT'],
  ['replication', 'REPLICATION'],
  ['bypassrls', 'BYPASSRLS'],
];

/** The `WITH ...` options of CREATE/ALTER ROLE for the given fields of the spec. */
function roleOptions(spec: PostgresRoleSpec, fields: ReadonlySet<string>): string {
  const parts: string[] = [];
  for (const [field, keyword] of FLAGS) {
    if (fields.has(field)) parts.push(spec[field] ? keyword : `NO${keyword}`);
  }
  if (fields.has('connectionLimit')) parts.push(`CONNECTION LIMIT ${Math.trunc(spec.connectionLimit)}`);
  if (fields.has('validUntil')) parts.push(`VALID UNTIL ${literal(normalizeTimestamp(spec.validUntil) ?? 'infinity')}`);
  return parts.join(' ');
}

function setParameter(role: string, name: string, value: string | number | boolean | readonly string[]): string {
  const items = parameterItems(name, value).map(literal).join(', ');
  return `ALTER ROLE ${ident(role)} SET ${ident(name.toLowerCase())} TO ${items}`;
}

function commentOn(role: string, comment: string | null): string {
  return `COMMENT ON ROLE ${ident(role)} IS ${comment === null ? 'NULL' : literal(comment)}`;
}

const ALL_FIELDS: ReadonlySet<string> = new Set([...FLAGS.map(([f]) => f), 'connectionLimit', 'validUntil']);

export const roleHandler: KindHandler = {
  kind: POSTGRES_ROLE,

  observe: async (conn, requests) => {
    if (requests.length === 0) return new Map();
    const names = requests.map((r) => r.name);
    const { rows } = await conn.query<RoleRow>(OBSERVE_ROLES, [names]);
    return new Map(rows.map((row) => [row.rolname, { providerId: row.oid, attributes: rowAttributes(row) }]));
  },

  create: async (conn, resource: DesiredResource) => {
    const spec = resource.spec as PostgresRoleSpec;
    const name = resource.name;
    try {
      await conn.transaction(async (query) => {
        await query(`CREATE ROLE ${ident(name)} WITH ${roleOptions(spec, ALL_FIELDS)}`);
        for (const [key, value] of Object.entries(spec.config)) await query(setParameter(name, key, value));
        if (spec.comment !== null) await query(commentOn(name, spec.comment));
      });
    } catch (error) {
      // Contract: creating what already exists is a no-op; the planner adopts and updates it.
      if (sqlState(error) === '42710') return;
      throw providerError('create', resource.address, error);
    }
  },

  update: async (conn, resource, changes: readonly FieldChange[]) => {
    const spec = resource.spec as PostgresRoleSpec;
    const name = resource.name;
    const fields = new Set(changes.map((c) => c.field));
    try {
      await conn.transaction(async (query) => {
        const options = roleOptions(spec, fields);
        if (options !== '') await query(`ALTER ROLE ${ident(name)} WITH ${options}`);
        const config = changes.find((c) => c.field === 'config');
        if (config) {
          const before = (config.before ?? {}) as Readonly<Record<string, JsonValue>>;
          const wanted = new Set(Object.keys(spec.config).map((k) => k.toLowerCase()));
          for (const key of Object.keys(before)) {
            if (!wanted.has(key)) await query(`ALTER ROLE ${ident(name)} RESET ${ident(key)}`);
          }
          for (const [key, value] of Object.entries(spec.config)) await query(setParameter(name, key, value));
        }
        if (fields.has('comment')) await query(commentOn(name, spec.comment));
      });
    } catch (error) {
      throw providerError('update', resource.address, error);
    }
  },

  delete: async (conn, name) => {
    try {
      await conn.query(`DROP ROLE IF EXISTS ${ident(name)}`);
    } catch (error) {
      const hint =
        sqlState(error) === '2BP01'
          ? 'the role still owns objects or holds privileges; reassign or drop them (REASSIGN OWNED / DROP OWNED) before removing it'
          : undefined;
      throw providerError('delete', `${POSTGRES_ROLE}/${name}`, error, hint);
    }
  },
};
