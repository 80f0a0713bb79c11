import type { DesiredResource, ObservedResource } from '../../core/index.js';
import {
  DEFAULT_OBJECT_TYPES,
  POSTGRES_DEFAULT_PRIVILEGES,
  defaultPrivilegeTokens,
  isPublic,
  type PostgresDefaultPrivilegesSpec,
} from '../../kinds/index.js';
import { groupByDatabase, isMissingDatabase } from './by-database.js';
import type { InstanceConnection } from './connection.js';
import { providerError, sqlState } from './errors.js';
import type { KindHandler } from './kind-handler.js';
import { expandTokens, fullSet, observedTokens, privilegeDelta, type PrivilegeMap } from './privilege-math.js';
import { lockCatalogObjects } from './object-lock.js';
import { ident } from './quote.js';

const OBJTYPE: Readonly<Record<PostgresDefaultPrivilegesSpec['objectType'], string>> = { tables: 'r', sequences: 'S', functions: 'f', types: 'T', schemas: 'n' };

interface Row {
  readonly owner: string;
  readonly schema: string;
  readonly objtype: string;
  readonly grantee: string;
  readonly privilege: string;
  readonly grantable: boolean;
}

/** Two catalog queries per database: the grantees' OIDs, and every default ACL of the owners asked about. */
const OBSERVE = `
SELECT r.rolname AS owner, coalesce(n.nspname, '') AS schema, d.defaclobjtype::text AS objtype,
       a.grantee::oid::text AS grantee, a.privilege_type AS privilege, a.is_grantable AS grantable
  FROM pg_catalog.pg_default_acl d
  JOIN pg_catalog.pg_roles r ON r.oid = d.defaclrole
  LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace
 CROSS JOIN LATERAL aclexplode(d.defaclacl) a
 WHERE r.rolname = ANY($1::text[])`;

function full(spec: PostgresDefaultPrivilegesSpec, version: number): readonly string[] {
  return fullSet(DEFAULT_OBJECT_TYPES[spec.objectType], version);
}

function prefix(spec: PostgresDefaultPrivilegesSpec): string {
  const inSchema = spec.schema !== undefined ? ` IN SCHEMA ${ident(spec.schema)}` : '';
  return `ALTER DEFAULT PRIVILEGES FOR ROLE ${ident(spec.owner)}${inSchema}`;
}

function on(spec: PostgresDefaultPrivilegesSpec): string {
  return spec.objectType.toUpperCase();
}

function to(spec: PostgresDefaultPrivilegesSpec): string {
  return isPublic(spec.grantee) ? 'PUBLIC' : ident(spec.grantee);
}

/** The catalog object default privileges lock: their owner's default ACLs in the database. */
function lockKey(spec: PostgresDefaultPrivilegesSpec): string {
  return `default-acl:${spec.database}/${spec.owner}`;
}

async function converge(conn: InstanceConnection, resource: DesiredResource, observedTokens: readonly string[]): Promise<void> {
  const spec = resource.spec as PostgresDefaultPrivilegesSpec;
  const desired = expandTokens(defaultPrivilegeTokens(spec), full(spec, conn.serverVersion));
  const observed: PrivilegeMap = expandTokens(observedTokens, full(spec, conn.serverVersion));
  const delta = privilegeDelta(desired, observed, spec.mode === 'authoritative');
  await conn.database(spec.database).transaction(async (query) => {
    await lockCatalogObjects(query, [lockKey(spec)]);
    if (delta.revoke.length) await query(`${prefix(spec)} REVOKE ${delta.revoke.join(', ')} ON ${on(spec)} FROM ${to(spec)}`);
    if (delta.revokeOption.length) await query(`${prefix(spec)} REVOKE GRANT OPTION FOR ${delta.revokeOption.join(', ')} ON ${on(spec)} FROM ${to(spec)}`);
    if (delta.grant.length) await query(`${prefix(spec)} GRANT ${delta.grant.join(', ')} ON ${on(spec)} TO ${to(spec)}`);
    if (delta.grantWithOption.length) await query(`${prefix(spec)} GRANT ${delta.grantWithOption.join(', ')} ON ${on(spec)} TO ${to(spec)} WITH GRANT OPTION`);
  });
}

export const defaultPrivilegesHandler: KindHandler = {
  kind: POSTGRES_DEFAULT_PRIVILEGES,
  // Observing default privileges reads their owners' default ACLs.
  locality: (spec) => lockKey(spec as PostgresDefaultPrivilegesSpec),

  observe: async (conn, requests) => {
    const found = new Map<string, ObservedResource>();
    await Promise.all(
      [...groupByDatabase<PostgresDefaultPrivilegesSpec>(requests)].map(async ([database, items]) => {
        const db = conn.database(database);
        let rows: readonly Row[];
        let roles: ReadonlyMap<string, string>;
        try {
          const grantees = [...new Set(items.map((i) => i.spec.grantee).filter((g) => !isPublic(g)))];
          const [acl, oids] = await Promise.all([
            db.query<Row>(OBSERVE, [[...new Set(items.map((i) => i.spec.owner))]]),
            db.query<{ oid: string; rolname: string }>('SELECT oid::text AS oid, rolname FROM pg_catalog.pg_roles WHERE rolname IN (SELECT unnest($1::text[]))', [grantees]),
          ]);
          rows = acl.rows;
          roles = new Map(oids.rows.map((r) => [r.rolname, r.oid]));
        } catch (error) {
          if (isMissingDatabase(error)) return;
          throw error;
        }
        for (const { name, spec } of items) {
          const grantee = isPublic(spec.grantee) ? '0' : roles.get(spec.grantee);
          if (grantee === undefined) continue;
          const held = new Map<string, boolean>();
          for (const row of rows) {
            if (row.owner === spec.owner && row.schema === (spec.schema ?? '') && row.objtype === OBJTYPE[spec.objectType] && row.grantee === grantee) {
              held.set(row.privilege, (held.get(row.privilege) ?? false) || row.grantable);
            }
          }
          const tokens = observedTokens(held, spec.privileges, spec.withGrantOption, spec.mode === 'additive', full(spec, conn.serverVersion));
          if (tokens.length > 0) found.set(name, { providerId: `${database}/${spec.owner}/${spec.schema ?? ''}/${spec.objectType}/${grantee}`, attributes: { privileges: [...tokens] } });
        }
      }),
    );
    return found;
  },

  create: async (conn, resource) => {
    try {
      await converge(conn, resource, []);
    } catch (error) {
      throw providerError('create', resource.address, error);
    }
  },

  update: async (conn, resource, changes) => {
    const before = changes.find((c) => c.field === 'privileges')?.before;
    try {
      await converge(conn, resource, Array.isArray(before) ? (before as readonly string[]) : []);
    } catch (error) {
      throw providerError('update', resource.address, error);
    }
  },

  delete: async (conn, name, specValue) => {
    if (specValue === null || typeof specValue !== 'object') return;
    const spec = specValue as PostgresDefaultPrivilegesSpec;
    const privileges =
      spec.mode === 'authoritative' ? 'ALL' : [...expandTokens(defaultPrivilegeTokens(spec), full(spec, conn.serverVersion)).keys()].join(', ');
    try {
      await conn.database(spec.database).query(`${prefix(spec)} REVOKE ${privileges} ON ${on(spec)} FROM ${to(spec)}`);
    } catch (error) {
      const state = sqlState(error);
      if (isMissingDatabase(error) || state === '42704' || state === '3F000') return;
      throw providerError('delete', `${POSTGRES_DEFAULT_PRIVILEGES}/${name}`, error);
    }
  },
};
