import { afterAll, describe, expect, it } from 'vitest';
import type { DesiredResource } from '../../core/index.js';
import type { PostgresInstanceSpec } from '../../kinds/index.js';
import { declare, testEnv, testInstance, uniqueName } from '../../../test/fixtures.js';
import { connectInstance } from './connection.js';
import { grantHandler } from './grant.js';

const conn = await connectInstance(testInstance() as DesiredResource<PostgresInstanceSpec>, { maxConnections: 1, lockTimeoutMs: 5_000 }, testEnv());
afterAll(() => conn.close());

/** The table privileges `role` holds on each of `tables`, as sorted lists. */
async function held(role: string, schema: string, tables: readonly string[]): Promise<Record<string, string[]>> {
  const { rows } = await conn.query<{ table: string; privileges: string[] }>(
    `SELECT c.relname AS table, coalesce(array_agg(a.privilege_type ORDER BY a.privilege_type) FILTER (WHERE a.grantee = r.oid), '{}') AS privileges
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace CROSS JOIN pg_roles r
       LEFT JOIN LATERAL aclexplode(c.relacl) a ON true
      WHERE n.nspname = $1 AND c.relname = ANY($2::text[]) AND r.rolname = $3
      GROUP BY c.relname ORDER BY c.relname`,
    [schema, tables, role],
  );
  return Object.fromEntries(rows.map((r) => [r.table, r.privileges]));
}

describe('a grant on named tables', () => {
  const schema = uniqueName('gt');
  const role = uniqueName('gt_role');
  const tables = ['t1', 't2', 't3'];
  const grant = (names: readonly string[]) =>
    declare('PostgresGrant', 'reader', { instance: 'test', grantee: role, privileges: ['SELECT', 'insert'], on: { type: 'table', database: 'postgres', schema, names } });

  afterAll(async () => {
    await conn.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await conn.query(`DROP ROLE IF EXISTS ${role}`);
  });

  it('sends one statement for the tables that need the same change, and each table ends with exactly the declared privileges', async () => {
    await conn.query(`CREATE ROLE ${role}; CREATE SCHEMA ${schema}; ${tables.map((t) => `CREATE TABLE ${schema}.${t} (id int);`).join(' ')}`);

    // Creating it on three tables takes as many statements as on one: the three share their GRANT.
    let before = conn.statementCount;
    await grantHandler.create(conn, grant(['t1']));
    const forOne = conn.statementCount - before;
    await conn.query(`REVOKE ALL ON ${schema}.t1 FROM ${role}`);
    before = conn.statementCount;
    await grantHandler.create(conn, grant(tables));
    expect(conn.statementCount - before).toBe(forOne);
    expect(await held(role, schema, tables)).toEqual({ t1: ['INSERT', 'SELECT'], t2: ['INSERT', 'SELECT'], t3: ['INSERT', 'SELECT'] });

    // Tables found in different states each get what they lack, and lose what is not declared.
    await conn.query(`REVOKE ALL ON ${schema}.t1, ${schema}.t3 FROM ${role}; GRANT DELETE ON ${schema}.t2 TO ${role}; GRANT SELECT ON ${schema}.t3 TO ${role}`);
    const found = (await grantHandler.observe(conn, [{ name: 'reader', spec: grant(tables).spec }])).get('reader');
    const observed = found?.attributes['privileges'];
    expect(observed).toEqual({ [`${schema}.t1`]: [], [`${schema}.t2`]: ['DELETE', 'INSERT', 'SELECT'], [`${schema}.t3`]: ['SELECT'] });
    await grantHandler.update(conn, grant(tables), [{ field: 'privileges', before: observed ?? null, after: null, requiresReplace: false }]);
    expect(await held(role, schema, tables)).toEqual({ t1: ['INSERT', 'SELECT'], t2: ['INSERT', 'SELECT'], t3: ['INSERT', 'SELECT'] });
  });
});
