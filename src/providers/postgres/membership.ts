import type { Attributes, DesiredResource, JsonValue, ObservedResource } from '../../core/index.js';
import { POSTGRES_ROLE_MEMBERSHIP, type PostgresRoleMembershipSpec } from '../../kinds/index.js';
import type { InstanceConnection } from './connection.js';
import { providerError, sqlState } from './errors.js';
import type { KindHandler } from './kind-handler.js';
import { ident } from './quote.js';

/** PostgreSQL 16 added per-membership INHERIT and SET options. */
const OPTIONS_VERSION = 160000;

interface MembershipRow {
  readonly role: string;
  readonly member: string;
  readonly oid: string;
  readonly admin: boolean;
  readonly inherit: boolean | null;
  readonly set: boolean | null;
}

/**
 * One catalog query for every membership asked about. Since PostgreSQL 16 a pair may have
 * several grants (one per grantor); an option holds if any of them grants it.
 */
function observeQuery(version: number): string {
  const options =
    version >= OPTIONS_VERSION ? 'bool_or(am.inherit_option) AS inherit, bool_or(am.set_option) AS set' : 'NULL::boolean AS inherit, NULL::boolean AS set';
  // pg_auth_members has its own OID only since 16; before, the pair of role OIDs identifies it.
  const id = version >= OPTIONS_VERSION ? 'min(am.oid::text)' : "min(am.roleid::text || '/' || am.member::text)";
  return `
SELECT r.rolname AS role, m.rolname AS member, ${id} AS oid, bool_or(am.admin_option) AS admin, ${options}
  FROM pg_catalog.pg_auth_members am
  JOIN pg_catalog.pg_roles r ON r.oid = am.roleid
  JOIN pg_catalog.pg_roles m ON m.oid = am.member
 WHERE (r.rolname, m.rolname) IN (SELECT * FROM unnest($1::text[], $2::text[]))
 GROUP BY r.rolname, m.rolname`;
}

function requireOptions(conn: InstanceConnection, spec: PostgresRoleMembershipSpec, address: string): void {
  if (conn.serverVersion < OPTIONS_VERSION && (spec.inherit !== undefined || spec.set !== undefined)) {
    throw providerError('configure', address, new Error(`the inherit and set options need PostgreSQL 16 or newer (this server is ${conn.serverVersion})`));
  }
}

function grantStatement(conn: InstanceConnection, spec: PostgresRoleMembershipSpec): string {
  const base = `GRANT ${ident(spec.role)} TO ${ident(spec.member)}`;
  if (conn.serverVersion < OPTIONS_VERSION) return spec.admin ? `${base} WITH ADMIN OPTION` : base;
  const options = [`ADMIN ${spec.admin ? 'TRUE' : 'FALSE'}`];
  if (spec.inherit !== undefined) options.push(`INHERIT ${spec.inherit ? 'TRUE' : 'FALSE'}`);
  if (spec.set !== undefined) options.push(`SET ${spec.set ? 'TRUE' : 'FALSE'}`);
  return `${base} WITH ${options.join(', ')}`;
}

export const membershipHandler: KindHandler = {
  kind: POSTGRES_ROLE_MEMBERSHIP,

  observe: async (conn, requests) => {
    const items = requests.filter((r) => r.spec !== null && typeof r.spec === 'object') as readonly { name: string; spec: PostgresRoleMembershipSpec }[];
    if (items.length === 0) return new Map();
    const { rows } = await conn.query<MembershipRow>(observeQuery(conn.serverVersion), [items.map((i) => i.spec.role), items.map((i) => i.spec.member)]);
    const byPair = new Map(rows.map((r) => [`${r.role}\u0000${r.member}`, r]));
    const found = new Map<string, ObservedResource>();
    for (const item of items) {
      const row = byPair.get(`${item.spec.role}\u0000${item.spec.member}`);
      if (!row) continue;
      const attributes: Record<string, JsonValue> = { admin: row.admin };
      if (row.inherit !== null) attributes['inherit'] = row.inherit;
      if (row.set !== null) attributes['set'] = row.set;
      found.set(item.name, { providerId: row.oid ?? `${row.role}/${row.member}`, attributes: attributes as Attributes });
    }
    return found;
  },

  create: async (conn, resource: DesiredResource) => {
    const spec = resource.spec as PostgresRoleMembershipSpec;
    requireOptions(conn, spec, resource.address);
    try {
      await conn.query(grantStatement(conn, spec));
    } catch (error) {
      throw providerError('create', resource.address, error);
    }
  },

  update: async (conn, resource, changes) => {
    const spec = resource.spec as PostgresRoleMembershipSpec;
    requireOptions(conn, spec, resource.address);
    try {
      await conn.transaction(async (query) => {
        const admin = changes.find((c) => c.field === 'admin');
        // Taking the admin option away needs its own statement on every version.
        if (admin && !spec.admin) await query(`REVOKE ADMIN OPTION FOR ${ident(spec.role)} FROM ${ident(spec.member)}`);
        await query(grantStatement(conn, spec));
      });
    } catch (error) {
      throw providerError('update', resource.address, error);
    }
  },

  delete: async (conn, name, specValue) => {
    if (specValue === null || typeof specValue !== 'object') return;
    const spec = specValue as PostgresRoleMembershipSpec;
    try {
      await conn.query(`REVOKE ${ident(spec.role)} FROM ${ident(spec.member)}`);
    } catch (error) {
      // Either role being gone means the membership is gone too.
      if (sqlState(error) === '42704') return;
      throw providerError('delete', `${POSTGRES_ROLE_MEMBERSHIP}/${name}`, error);
    }
  },
};
