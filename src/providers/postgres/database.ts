import type { Attributes, DesiredResource } from '../../core/index.js';
import { POSTGRES_DATABASE, normalizeEncoding, type PostgresDatabaseSpec } from '../../kinds/index.js';
import type { InstanceConnection } from './connection.js';
import { providerError, sqlState } from './errors.js';
import type { KindHandler } from './kind-handler.js';
import { databaseLockKey, lockCatalogObjects } from './object-lock.js';
import { ident, literal } from './quote.js';

interface DatabaseRow {
  readonly oid: string;
  readonly datname: string;
  readonly owner: string;
  readonly encoding: string;
  readonly datconnlimit: number;
  readonly comment: string | null;
}

/** One catalog query for every named database, whatever their number. */
const OBSERVE_DATABASES = `
SELECT d.oid::text AS oid, d.datname, pg_catalog.pg_get_userbyid(d.datdba) AS owner,
       pg_catalog.pg_encoding_to_char(d.encoding) AS encoding, d.datconnlimit,
       shobj_description(d.oid, 'pg_database') AS comment
  FROM pg_catalog.pg_database d
 WHERE d.datname = ANY($1::text[])`;

function rowAttributes(row: DatabaseRow): Attributes {
  return {
    owner: row.owner,
    encoding: normalizeEncoding(row.encoding),
    connectionLimit: row.datconnlimit,
    comment: row.comment,
  };
}

function commentOn(name: string, comment: string | null): string {
  return `COMMENT ON DATABASE ${ident(name)} IS ${comment === null ? 'NULL' : literal(comment)}`;
}

export const databaseHandler: KindHandler = {
  kind: POSTGRES_DATABASE,

  observe: async (conn, requests) => {
    if (requests.length === 0) return new Map();
    const names = requests.map((r) => r.name);
    const { rows } = await conn.query<DatabaseRow>(OBSERVE_DATABASES, [names]);
    return new Map(rows.map((row) => [row.datname, { providerId: row.oid, attributes: rowAttributes(row) }]));
  },

  create: async (conn: InstanceConnection, resource: DesiredResource) => {
    const spec = resource.spec as PostgresDatabaseSpec;
    const options: string[] = [];
    if (spec.owner !== undefined) options.push(`OWNER ${ident(spec.owner)}`);
    if (spec.encoding !== undefined) options.push(`ENCODING ${literal(normalizeEncoding(spec.encoding))}`);
    // A non-default encoding is only compatible with template0, which has no encoding-specific data.
    const template = spec.template ?? (spec.encoding !== undefined ? 'template0' : undefined);
    if (template !== undefined) options.push(`TEMPLATE ${ident(template)}`);
    options.push(`CONNECTION LIMIT ${Math.trunc(spec.connectionLimit)}`);
    try {
      // CREATE DATABASE cannot run inside a transaction block.
      await conn.query(`CREATE DATABASE ${ident(resource.name)} WITH ${options.join(' ')}`);
    } catch (error) {
      if (sqlState(error) === '42P04') return;
      throw providerError('create', resource.address, error);
    }
    if (spec.comment !== null) {
      try {
        await conn.query(commentOn(resource.name, spec.comment));
      } catch (error) {
        throw providerError('comment on', resource.address, error);
      }
    }
  },

  update: async (conn, resource, changes) => {
    const spec = resource.spec as PostgresDatabaseSpec;
    const name = ident(resource.name);
    try {
      await conn.transaction(async (query) => {
        await lockCatalogObjects(query, [databaseLockKey(resource.name)]);
        for (const change of changes) {
          if (change.field === 'owner' && spec.owner !== undefined) await query(`ALTER DATABASE ${name} OWNER TO ${ident(spec.owner)}`);
          if (change.field === 'connectionLimit') await query(`ALTER DATABASE ${name} WITH CONNECTION LIMIT ${Math.trunc(spec.connectionLimit)}`);
          if (change.field === 'comment') await query(commentOn(resource.name, spec.comment));
        }
      });
    } catch (error) {
      throw providerError('update', resource.address, error);
    }
  },

  delete: async (conn, name) => {
    try {
      await conn.query(`DROP DATABASE IF EXISTS ${ident(name)}`);
    } catch (error) {
      const hint =
        sqlState(error) === '55006' ? 'other sessions are connected to it; disconnect them and apply again' : undefined;
      throw providerError('delete', `${POSTGRES_DATABASE}/${name}`, error, hint);
    }
  },
};
