import { createHash } from 'node:crypto';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { KINDS } from '../../kinds/index.js';
import { declare, testEnv, testInstance, uniqueName } from '../../../test/fixtures.js';
import { providerConformance } from '../../../test/provider-conformance.js';
import { MEMBERSHIP_OPTIONS_VERSION, serverVersionNum } from '../../../test/server-version.js';
import { postgresProvider } from './provider.js';

const target = testInstance();
// This suite also runs on PostgreSQL 14 (the pg14 project). Before 16 the membership case runs
// without the INHERIT and SET options, and their refusal is tested on its own at the end.
const membershipOptions = (await serverVersionNum()) >= MEMBERSHIP_OPTIONS_VERSION;

providerConformance({
  provider: postgresProvider({ maxConnections: 2, lockTimeoutMs: 5_000 }, testEnv()),
  target,
  kinds: KINDS,
  // Grants read roles and the catalogs of their object types: still a fixed number per database.
  maxObserveStatements: 8,
  snapshot: async () => {
    // Every role and database row and setting the provider can read or write, read independently.
    const { host, port, user, password } = inject('pg');
    const client = new pg.Client({ host, port, user, password, database: 'postgres' });
    await client.connect();
    try {
      const { rows } = await client.query(`
        SELECT (SELECT json_agg(r ORDER BY r.rolname) FROM pg_roles r)::text AS roles,
               (SELECT json_agg(d ORDER BY d.datname) FROM pg_database d)::text AS dbs,
               (SELECT json_agg(s ORDER BY s.setrole, s.setdatabase) FROM pg_db_role_setting s)::text AS settings,
               (SELECT json_agg(c ORDER BY c.objoid) FROM pg_shdescription c)::text AS comments,
               (SELECT json_agg(n ORDER BY n.oid) FROM pg_namespace n)::text AS schemas,
               (SELECT json_agg(d ORDER BY d.objoid, d.objsubid) FROM pg_description d WHERE d.classoid = 'pg_namespace'::regclass)::text AS schema_comments,
               (SELECT json_agg(m ORDER BY m.roleid, m.member) FROM pg_auth_members m)::text AS memberships,
               (SELECT json_agg(json_build_array(c.oid, c.relacl) ORDER BY c.oid) FROM pg_class c)::text AS relacls,
               (SELECT json_agg(json_build_array(a.attrelid, a.attnum, a.attacl) ORDER BY a.attrelid, a.attnum) FROM pg_attribute a WHERE a.attacl IS NOT NULL)::text AS attacls,
               (SELECT json_agg(json_build_array(p.oid, p.proacl) ORDER BY p.oid) FROM pg_proc p WHERE p.proacl IS NOT NULL)::text AS proacls,
               (SELECT json_agg(d ORDER BY d.oid) FROM pg_default_acl d)::text AS default_acls`);
      return createHash('sha256').update(JSON.stringify(rows)).digest('hex');
    } finally {
      await client.end();
    }
  },
  cases: [
    {
      description: 'PostgresRole with every attribute',
      make: async () => {
        const name = uniqueName('conf_role');
        return {
          created: declare('PostgresRole', name, {
            instance: 'test',
            login: true,
            connectionLimit: 3,
            validUntil: '2031-01-02T03:04:05Z',
            config: { statement_timeout: '30s', search_path: ['app', 'public'] },
            comment: 'made by the conformance suite',
          }),
          updated: declare('PostgresRole', name, {
            instance: 'test',
            login: false,
            createdb: true,
            inherit: false,
            connectionLimit: 7,
            validUntil: null,
            config: { work_mem: '64MB', search_path: '"$user", public' },
            comment: null,
          }),
        };
      },
    },
    {
      description: 'PostgresDatabase',
      make: async () => {
        const name = uniqueName('conf_db');
        return {
          created: declare('PostgresDatabase', name, { instance: 'test', owner: 'postgres', encoding: 'utf-8', connectionLimit: 5, comment: 'first' }),
          updated: declare('PostgresDatabase', name, { instance: 'test', owner: 'postgres', encoding: 'UTF8', connectionLimit: -1, comment: 'second' }),
        };
      },
    },
    {
      description: 'PostgresSchema',
      make: async () => {
        const name = uniqueName('conf_schema');
        const owner = uniqueName('conf_owner');
        await admin(`CREATE ROLE ${owner}`);
        return {
          created: declare('PostgresSchema', name, { instance: 'test', database: 'postgres', owner: 'postgres', comment: 'first' }),
          updated: declare('PostgresSchema', name, { instance: 'test', database: 'postgres', owner, comment: null }),
        };
      },
    },
    {
      description: 'PostgresRoleMembership',
      make: async () => {
        const group = uniqueName('conf_group');
        const member = uniqueName('conf_member');
        await admin(`CREATE ROLE ${group}; CREATE ROLE ${member}`);
        const name = `${member}-in-${group}`.replace(/_/g, '-');
        return {
          created: declare('PostgresRoleMembership', name, { instance: 'test', role: group, member, admin: true, ...(membershipOptions ? { inherit: false, set: true } : {}) }),
          updated: declare('PostgresRoleMembership', name, { instance: 'test', role: group, member, admin: false, ...(membershipOptions ? { inherit: true } : {}) }),
        };
      },
    },
    {
      description: 'PostgresGrant on named tables, authoritative',
      make: async () => {
        const schema = uniqueName('g_schema');
        const grantee = uniqueName('g_reader');
        await admin(`CREATE ROLE ${grantee}; CREATE SCHEMA ${schema}; CREATE TABLE ${schema}.invoices (id int); CREATE TABLE ${schema}.payments (id int)`);
        const on = { type: 'table', database: 'postgres', schema, names: ['invoices', 'payments'] };
        return {
          created: declare('PostgresGrant', `${grantee}-tables`.replace(/_/g, '-'), { instance: 'test', grantee, privileges: ['select', 'Insert'], on }),
          updated: declare('PostgresGrant', `${grantee}-tables`.replace(/_/g, '-'), { instance: 'test', grantee, privileges: ['ALL'], on, withGrantOption: true }),
        };
      },
    },
    {
      description: 'PostgresGrant on all tables in a schema',
      make: async () => {
        const schema = uniqueName('g_schema');
        const grantee = uniqueName('g_all');
        await admin(`CREATE ROLE ${grantee}; CREATE SCHEMA ${schema}; CREATE TABLE ${schema}.a (id int); CREATE TABLE ${schema}.b (id int)`);
        const on = { type: 'table', database: 'postgres', schema, all: true };
        return {
          created: declare('PostgresGrant', `${grantee}-all`.replace(/_/g, '-'), { instance: 'test', grantee, privileges: ['SELECT'], on }),
          updated: declare('PostgresGrant', `${grantee}-all`.replace(/_/g, '-'), { instance: 'test', grantee, privileges: ['SELECT', 'UPDATE'], on }),
        };
      },
    },
    {
      description: 'PostgresGrant on columns',
      make: async () => {
        const schema = uniqueName('g_schema');
        const grantee = uniqueName('g_cols');
        await admin(
          `CREATE ROLE ${grantee}; CREATE SCHEMA ${schema}; CREATE TABLE ${schema}.t (id int, amount int, note text);` +
            `CREATE FUNCTION ${schema}.calc(integer, text) RETURNS int LANGUAGE sql AS 'SELECT 1'; CREATE SEQUENCE ${schema}.s`,
        );
        const on = { type: 'table', database: 'postgres', schema, names: ['t'] };
        return {
          created: declare('PostgresGrant', `${grantee}-cols`.replace(/_/g, '-'), { instance: 'test', grantee, privileges: ['SELECT'], on, columns: ['id', 'amount'] }),
          updated: declare('PostgresGrant', `${grantee}-cols`.replace(/_/g, '-'), { instance: 'test', grantee, privileges: ['SELECT', 'UPDATE'], on, columns: ['id', 'amount'] }),
        };
      },
    },
    {
      description: 'PostgresGrant on a function by signature',
      make: async () => {
        const schema = uniqueName('g_schema');
        const grantee = uniqueName('g_fn');
        await admin(`CREATE ROLE ${grantee}; CREATE SCHEMA ${schema}; CREATE FUNCTION ${schema}.calc(integer, text) RETURNS int LANGUAGE sql AS 'SELECT 1'`);
        const on = { type: 'function', database: 'postgres', schema, names: ['calc(int, text)'] };
        return {
          created: declare('PostgresGrant', `${grantee}-fn`.replace(/_/g, '-'), { instance: 'test', grantee, privileges: ['EXECUTE'], on }),
          updated: declare('PostgresGrant', `${grantee}-fn`.replace(/_/g, '-'), { instance: 'test', grantee, privileges: ['EXECUTE'], on, withGrantOption: true }),
        };
      },
    },
    {
      description: 'PostgresGrant on a database',
      make: async () => {
        const grantee = uniqueName('g_db');
        await admin(`CREATE ROLE ${grantee}`);
        const on = { type: 'database', database: 'postgres' };
        return {
          created: declare('PostgresGrant', `${grantee}-db`.replace(/_/g, '-'), { instance: 'test', grantee, privileges: ['CONNECT'], on }),
          updated: declare('PostgresGrant', `${grantee}-db`.replace(/_/g, '-'), { instance: 'test', grantee, privileges: ['CONNECT', 'TEMP'], on }),
        };
      },
    },
    {
      description: 'PostgresDefaultPrivileges in a schema',
      make: async () => {
        const schema = uniqueName('dp_schema');
        const owner = uniqueName('dp_owner');
        const grantee = uniqueName('dp_reader');
        await admin(`CREATE ROLE ${owner}; CREATE ROLE ${grantee}; CREATE SCHEMA ${schema} AUTHORIZATION ${owner}`);
        const base = { instance: 'test', database: 'postgres', owner, schema, objectType: 'tables', grantee };
        return {
          created: declare('PostgresDefaultPrivileges', `${grantee}-defaults`.replace(/_/g, '-'), { ...base, privileges: ['SELECT'] }),
          updated: declare('PostgresDefaultPrivileges', `${grantee}-defaults`.replace(/_/g, '-'), { ...base, privileges: ['ALL'], withGrantOption: true }),
        };
      },
    },
  ],
});

describe('membership INHERIT and SET options by server version', () => {
  it('are applied on PostgreSQL 16+, and refused with a clear error before, changing nothing', async () => {
    const group = uniqueName('old_group');
    const member = uniqueName('old_member');
    await admin(`CREATE ROLE ${group}; CREATE ROLE ${member}`);
    const name = `${member}-in-${group}`.replace(/_/g, '-');
    const session = await postgresProvider({ maxConnections: 2, lockTimeoutMs: 5_000 }, testEnv()).connect(target);
    const memberships = async (): Promise<unknown[]> => {
      const { host, port, user, password } = inject('pg');
      const client = new pg.Client({ host, port, user, password, database: 'postgres' });
      await client.connect();
      try {
        const sql = `SELECT am.admin_option FROM pg_auth_members am JOIN pg_roles r ON r.oid = am.roleid JOIN pg_roles m ON m.oid = am.member WHERE r.rolname = $1 AND m.rolname = $2`;
        return (await client.query(sql, [group, member])).rows;
      } finally {
        await client.end();
      }
    };
    try {
      if (membershipOptions) {
        const withOptions = declare('PostgresRoleMembership', name, { instance: 'test', role: group, member, inherit: false, set: true });
        await session.create(withOptions);
        const observed = (await session.observe(withOptions.kind, [{ name, spec: withOptions.spec }])).get(name);
        expect(observed?.attributes).toEqual({ admin: false, inherit: false, set: true });
        await session.delete(withOptions.kind, name, withOptions.spec);
        expect(await memberships()).toEqual([]);
        return;
      }
      const refusal = /the inherit and set options need PostgreSQL 16 or newer/;
      for (const options of [{ inherit: true }, { set: false }]) {
        await expect(session.create(declare('PostgresRoleMembership', name, { instance: 'test', role: group, member, ...options }))).rejects.toThrow(refusal);
      }
      expect(await memberships()).toEqual([]);

      const plain = declare('PostgresRoleMembership', name, { instance: 'test', role: group, member, admin: true });
      await session.create(plain);
      const withInherit = declare('PostgresRoleMembership', name, { instance: 'test', role: group, member, admin: false, inherit: true });
      await expect(session.update(withInherit, [{ field: 'admin', before: true, after: false, requiresReplace: false }])).rejects.toThrow(refusal);
      expect(await memberships()).toEqual([{ admin_option: true }]);
      await session.delete(plain.kind, plain.name, plain.spec);
    } finally {
      await session.close();
    }
  });
});

async function admin(sql: string): Promise<void> {
  const { host, port, user, password } = inject('pg');
  const client = new pg.Client({ host, port, user, password, database: 'postgres' });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
