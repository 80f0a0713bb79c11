import type { Attributes, DesiredResource, ObservedResource } from '../../core/index.js';
import { POSTGRES_SCHEMA, schemaNameOf, type PostgresSchemaSpec } from '../../kinds/index.js';
import { groupByDatabase, isMissingDatabase } from './by-database.js';
import { providerError, sqlState } from './errors.js';
import type { KindHandler } from './kind-handler.js';
import { lockCatalogObjects, schemaLockKey } from './object-lock.js';
import { ident, literal } from './quote.js';

interface SchemaRow {
  readonly oid: string;
  readonly nspname: string;
  readonly owner: string;
  readonly comment: string | null;
}

/** One catalog query per database, for every schema asked about in it. */
const OBSERVE_SCHEMAS = `
SELECT n.oid::text AS oid, n.nspname, pg_catalog.pg_get_userbyid(n.nspowner) AS owner,
       pg_catalog.obj_description(n.oid, 'pg_namespace') AS comment
  FROM pg_catalog.pg_namespace n
 WHERE n.nspname = ANY($1::text[])`;

function commentOn(schema: string, comment: string | null): string {
  return `COMMENT ON SCHEMA ${ident(schema)} IS ${comment === null ? 'NULL' : literal(comment)}`;
}

export const schemaHandler: KindHandler = {
  kind: POSTGRES_SCHEMA,

  observe: async (conn, requests) => {
    const found = new Map<string, ObservedResource>();
    await Promise.all(
      [...groupByDatabase<PostgresSchemaSpec>(requests)].map(async ([database, items]) => {
        let rows: readonly SchemaRow[];
        try {
          rows = (await conn.database(database).query<SchemaRow>(OBSERVE_SCHEMAS, [items.map((i) => schemaNameOf(i.name, i.spec))])).rows;
        } catch (error) {
          if (isMissingDatabase(error)) return;
          throw error;
        }
        const byName = new Map(rows.map((r) => [r.nspname, r]));
        for (const item of items) {
          const row = byName.get(schemaNameOf(item.name, item.spec));
          if (!row) continue;
          const attributes: Attributes = { owner: row.owner, comment: row.comment };
          found.set(item.name, { providerId: `${database}/${row.oid}`, attributes });
        }
      }),
    );
    return found;
  },

  create: async (conn, resource: DesiredResource) => {
    const spec = resource.spec as PostgresSchemaSpec;
    const schema = schemaNameOf(resource.name, spec);
    try {
      await conn.database(spec.database).transaction(async (query) => {
        const owner = spec.owner !== undefined ? ` AUTHORIZATION ${ident(spec.owner)}` : '';
        await query(`CREATE SCHEMA IF NOT EXISTS ${ident(schema)}${owner}`);
        if (spec.comment !== null) await query(commentOn(schema, spec.comment));
      });
    } catch (error) {
      throw providerError('create', resource.address, error);
    }
  },

  update: async (conn, resource, changes) => {
    const spec = resource.spec as PostgresSchemaSpec;
    const schema = schemaNameOf(resource.name, spec);
    try {
      await conn.database(spec.database).transaction(async (query) => {
        await lockCatalogObjects(query, [schemaLockKey(spec.database, schema)]);
        for (const change of changes) {
          if (change.field === 'owner' && spec.owner !== undefined) await query(`ALTER SCHEMA ${ident(schema)} OWNER TO ${ident(spec.owner)}`);
          if (change.field === 'comment') await query(commentOn(schema, spec.comment));
        }
      });
    } catch (error) {
      throw providerError('update', resource.address, error);
    }
  },

  delete: async (conn, name, specValue) => {
    if (specValue === null || typeof specValue !== 'object') return;
    const spec = specValue as PostgresSchemaSpec;
    try {
      await conn.database(spec.database).query(`DROP SCHEMA IF EXISTS ${ident(schemaNameOf(name, spec))}`);
    } catch (error) {
      if (isMissingDatabase(error)) return;
      const hint = sqlState(error) === '2BP01' ? 'the schema still contains objects; move or drop them first' : undefined;
      throw providerError('delete', `${POSTGRES_SCHEMA}/${name}`, error, hint);
    }
  },
};
