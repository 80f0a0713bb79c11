import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { resourceName, runImport } from './import.js';
import { runApply, runPlan } from './reconcile.js';
import { uniqueName } from '../../test/fixtures.js';
import { adminClient, instanceYaml, makeProject, projectOptions, runCli } from '../../test/project.js';

const approve = { confirm: async () => true };

async function sql(text: string, database = 'postgres'): Promise<Record<string, unknown>[]> {
  const admin = await adminClient(database);
  try {
    return (await admin.query(text)).rows;
  } finally {
    await admin.end();
  }
}

interface Doc {
  readonly kind: string;
  readonly metadata: { readonly name: string };
  readonly spec: Record<string, unknown>;
}

async function docs(dir: string, file: string): Promise<Doc[]> {
  return parseAllDocuments(await readFile(join(dir, file), 'utf8')).map((d) => d.toJS() as Doc).filter((d) => d !== null);
}

/** Rewrites the imported files keeping only documents `keep` accepts (the shared server holds other tests' roles). */
async function prune(dir: string, keep: (d: Doc) => boolean): Promise<void> {
  for (const file of ['roles.yaml', 'memberships.yaml', 'databases.yaml', 'schemas.yaml', 'grants.yaml', 'default-privileges.yaml']) {
    const text = (await docs(dir, file)).filter(keep).map((d) => `---\n${JSON.stringify(d)}\n`).join('');
    await writeFile(join(dir, file), text);
  }
}

const p = uniqueName('imp');
const owner = `${p}_owner`;
const reader = `${p}_reader`;
const writer = `${p}_writer`;
const group = `${p}_group`;
const app = `${p}_app`;
const db = `${p}_db`;

// Everything import must carry over: role attributes and settings, membership options, a database
// with a changed PUBLIC default, schema, table, column, sequence, function and type grants, grants
// to PUBLIC, mixed grant options, and default privileges (schema-wide and database-wide).
let version = 0;

beforeAll(async () => {
  version = Number((await sql(`SELECT current_setting('server_version_num') AS v`))[0]?.['v']);
  await sql(`
    CREATE ROLE ${owner};
    CREATE ROLE ${reader} LOGIN CONNECTION LIMIT 5 VALID UNTIL '2030-01-01 00:00:00+00';
    ALTER ROLE ${reader} SET search_path TO billing, public;
    ALTER ROLE ${reader} SET statement_timeout TO '30s';
    COMMENT ON ROLE ${reader} IS 'reads invoices: nightly';
    CREATE ROLE ${writer};
    CREATE ROLE ${group};
    CREATE ROLE ${app} LOGIN NOINHERIT;
    GRANT ${group} TO ${reader} WITH ADMIN OPTION;
    GRANT ${group} TO ${app};
    GRANT ${writer} TO ${app} ${version >= 160000 ? 'WITH INHERIT TRUE' : ''};
    GRANT pg_read_all_stats TO ${reader};`);
  // CREATE DATABASE cannot share a transaction (a multi-statement query is one).
  await sql(`CREATE DATABASE ${db} OWNER ${owner} CONNECTION LIMIT 20`);
  await sql(`
    COMMENT ON DATABASE ${db} IS 'billing data';
    REVOKE TEMPORARY ON DATABASE ${db} FROM PUBLIC;
    GRANT CONNECT, TEMPORARY ON DATABASE ${db} TO ${reader};`);
  await sql(
    `
    CREATE SCHEMA billing AUTHORIZATION ${owner};
    COMMENT ON SCHEMA billing IS 'invoices and customers';
    SET ROLE ${owner};
    CREATE TABLE billing.invoices (id int, amount numeric, secret text);
    CREATE TABLE billing.customers (id int, name text);
    CREATE TABLE billing.audit (id int, amount numeric, note text);
    CREATE TABLE billing.untouched (id int);
    CREATE SEQUENCE billing.invoice_seq;
    CREATE FUNCTION billing.calc(a integer, b text) RETURNS integer LANGUAGE sql AS 'SELECT a';
    CREATE FUNCTION billing.open() RETURNS integer LANGUAGE sql AS 'SELECT 1';
    CREATE TYPE billing.mood AS ENUM ('ok', 'late');
    GRANT USAGE ON SCHEMA billing TO ${reader}, ${writer};
    GRANT SELECT ON billing.invoices, billing.customers TO ${reader};
    GRANT SELECT, INSERT, UPDATE ON billing.invoices TO ${writer};
    GRANT SELECT ON billing.customers TO ${writer} WITH GRANT OPTION;
    GRANT INSERT ON billing.customers TO ${writer};
    GRANT SELECT (id, amount) ON billing.audit TO ${reader};
    GRANT SELECT (id, amount) ON billing.invoices TO ${app};
    GRANT UPDATE (amount) ON billing.audit TO ${writer};
    GRANT ALL ON billing.audit TO ${group};
    GRANT USAGE, SELECT ON SEQUENCE billing.invoice_seq TO ${writer};
    REVOKE EXECUTE ON FUNCTION billing.calc(integer, text) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION billing.calc(integer, text) TO ${app};
    GRANT SELECT ON billing.customers TO PUBLIC;
    GRANT USAGE ON TYPE billing.mood TO ${reader};
    ALTER DEFAULT PRIVILEGES IN SCHEMA billing GRANT SELECT ON TABLES TO ${reader};
    ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
    ALTER DEFAULT PRIVILEGES GRANT USAGE ON SEQUENCES TO ${writer} WITH GRANT OPTION;
    ALTER DEFAULT PRIVILEGES GRANT EXECUTE ON FUNCTIONS TO ${app};
    CREATE SCHEMA "Ledger";
    CREATE TABLE "Ledger"."Entries" (id int);
    CREATE FUNCTION "Ledger"."Post"(integer) RETURNS integer LANGUAGE sql AS 'SELECT 1';
    CREATE TYPE "Ledger"."Kind" AS ENUM ('a');
    GRANT SELECT ON "Ledger"."Entries" TO ${reader};
    GRANT EXECUTE ON FUNCTION "Ledger"."Post"(integer) TO ${app};
    GRANT USAGE ON TYPE "Ledger"."Kind" TO ${reader};
    CREATE PROCEDURE billing.close() LANGUAGE sql AS 'SELECT 1';
    GRANT EXECUTE ON PROCEDURE billing.close() TO ${app};
    CREATE SCHEMA steward_watch;
    GRANT USAGE ON SCHEMA steward_watch TO ${reader};
    RESET ROLE;
    ALTER ROLE ${reader} IN DATABASE ${db} SET work_mem TO '8MB';`,
    db,
  );
});

afterAll(async () => {
  await sql(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  await sql(`DROP ROLE IF EXISTS ${app}, ${group}, ${writer}, ${reader}, ${owner}`);
});

const mine = (address: string): boolean => address.includes(p);
const names = (list: readonly Doc[]): string[] => list.map((d) => d.metadata.name);
const specOf = (list: readonly Doc[], name: string): Record<string, unknown> | undefined => list.find((d) => d.metadata.name === name)?.spec;

describe('resourceName', () => {
  it('keeps readable parts and makes any name valid', () => {
    expect(resourceName(['reader', 'app', 'billing', 'tables'])).toBe('reader-app-billing-tables');
    expect(resourceName(['_x', 'calc(integer, text)', 'Größe'])).toBe('x-calc-integer-text-Gr-e');
    const long = resourceName(['a'.repeat(300)]);
    expect(long).toHaveLength(253);
    expect(long).not.toBe(resourceName(['a'.repeat(301)]));
  });
});

describe('steward import postgres', () => {
  it('writes manifests that plan empty, skip system roles and objects, and apply nothing', async () => {
    const dir = await makeProject({ 'instance.yaml': instanceYaml() });
    const options = projectOptions(dir);
    const report = await runImport(options, { instance: 'main', databases: [db] });
    expect(report.instanceWritten).toBe(false);
    // Four cluster queries and three for the one database, whatever the number of objects.
    expect(report.catalogQueries).toBe(7);

    const roles = await docs(dir, 'roles.yaml');
    expect(names(roles)).toEqual(expect.arrayContaining([owner, reader, writer, group, app]));
    expect(names(roles).filter((n) => n.startsWith('pg_') || n === inject('pg').user)).toEqual([]);
    expect(specOf(roles, reader)).toEqual({
      instance: 'main',
      login: true,
      connectionLimit: 5,
      validUntil: '2030-01-01T00:00:00.000Z',
      config: { search_path: ['billing', 'public'], statement_timeout: '30s' },
      comment: 'reads invoices: nightly',
    });
    const memberships = (await docs(dir, 'memberships.yaml')).filter((d) => d.metadata.name.includes(p));
    expect(memberships.map((d) => d.spec)).toEqual(
      expect.arrayContaining([
        { instance: 'main', role: group, member: reader, admin: true },
        { instance: 'main', role: group, member: app },
        // Membership options exist from PostgreSQL 16; there this one differs from the member's NOINHERIT.
        { instance: 'main', role: writer, member: app, ...(version >= 160000 ? { inherit: true } : {}) },
        { instance: 'main', role: 'pg_read_all_stats', member: reader },
      ]),
    );
    expect(memberships).toHaveLength(4);
    expect(names(await docs(dir, 'databases.yaml'))).toEqual([db]);
    // public is left out while as created; pg_*, information_schema and the running agent's steward_watch always.
    expect((await docs(dir, 'schemas.yaml')).map((d) => d.spec['schema'])).toEqual(['Ledger', 'billing']);

    const grants = await docs(dir, 'grants.yaml');
    const grantSpecs = grants.map((d) => d.spec);
    const on = (type: string, names?: string[], schema = 'billing'): Record<string, unknown> => ({ type, database: db, schema, names });
    expect(grantSpecs).toEqual(
      expect.arrayContaining([
        // PUBLIC's TEMPORARY was revoked: its remaining default becomes an authoritative grant.
        { instance: 'main', grantee: 'PUBLIC', privileges: ['CONNECT'], on: { type: 'database', database: db }, mode: 'authoritative' },
        { instance: 'main', grantee: reader, privileges: ['SELECT'], on: on('table', ['customers', 'invoices']), mode: 'authoritative' },
        { instance: 'main', grantee: reader, privileges: ['SELECT'], on: on('table', ['Entries'], 'Ledger'), mode: 'authoritative' },
        { instance: 'main', grantee: reader, privileges: ['SELECT'], on: on('table', ['audit']), columns: ['amount', 'id'], mode: 'authoritative' },
        { instance: 'main', grantee: group, privileges: ['ALL'], on: on('table', ['audit']), mode: 'authoritative' },
        { instance: 'main', grantee: writer, privileges: ['INSERT'], on: on('table', ['customers']), mode: 'additive' },
        { instance: 'main', grantee: writer, privileges: ['SELECT'], on: on('table', ['customers']), withGrantOption: true, mode: 'additive' },
        { instance: 'main', grantee: writer, privileges: ['USAGE', 'SELECT'], on: on('sequence', ['invoice_seq']), mode: 'authoritative' },
        { instance: 'main', grantee: app, privileges: ['EXECUTE'], on: on('function', ['calc(integer, text)']), mode: 'authoritative' },
        { instance: 'main', grantee: 'PUBLIC', privileges: ['SELECT'], on: on('table', ['customers']), mode: 'authoritative' },
        { instance: 'main', grantee: reader, privileges: ['USAGE'], on: { type: 'schema', database: db, names: ['billing'] }, mode: 'authoritative' },
      ]),
    );
    // The owner's implicit privileges and untouched defaults (e.g. PUBLIC EXECUTE on billing.open()) are not grants.
    expect(grantSpecs.filter((g) => g['grantee'] === owner)).toEqual([]);
    expect(grants.map((d) => JSON.stringify(d.spec)).filter((t) => t.includes('open()') || t.includes('untouched'))).toEqual([]);
    const defaults = await docs(dir, 'default-privileges.yaml');
    expect(defaults.map((d) => d.spec)).toEqual([
      { instance: 'main', database: db, owner, objectType: 'functions', grantee: app, privileges: ['EXECUTE'], mode: 'authoritative' },
      { instance: 'main', database: db, owner, objectType: 'sequences', grantee: writer, privileges: ['USAGE'], withGrantOption: true, mode: 'authoritative' },
      { instance: 'main', database: db, owner, schema: 'billing', objectType: 'tables', grantee: reader, privileges: ['SELECT'], mode: 'authoritative' },
    ]);
    // What could not be declared is reported, not dropped silently.
    expect(report.skipped.map((s) => `${s.what} ${s.name}`)).toEqual(
      expect.arrayContaining([
        `role ${inject('pg').user}`,
        `role settings ${reader}`,
        `schema ${db}.public`,
        `privileges PUBLIC on function ${db}.billing.calc(integer, text)`,
        `privileges ${app} on procedure ${db}.billing.close()`,
        `privileges ${app} on function ${db}.Ledger."Post"(integer)`,
        `privileges PUBLIC on functions (default privileges of ${owner} in ${db})`,
      ]),
    );

    const plan = await runPlan(options);
    expect(plan.plan.diagnostics).toEqual([]);
    const ours = plan.plan.changes.filter((c) => mine(c.address));
    expect(ours.filter((c) => c.action !== 'no-op').map((c) => `${c.address} ${c.action} ${JSON.stringify(c.changes)}`)).toEqual([]);
    const imported = [roles, memberships, await docs(dir, 'databases.yaml'), await docs(dir, 'schemas.yaml'), grants, defaults].flat();
    expect(ours).toHaveLength(imported.filter((d) => mine(d.metadata.name)).length);

    // Applying (only our resources: the shared server holds other tests' roles) changes nothing.
    await prune(dir, (d) => mine(d.metadata.name));
    const applied = await runApply(options, approve);
    expect(applied.plan.diagnostics).toEqual([]);
    expect(applied.plan.changes.filter((c) => c.action !== 'no-op').map((c) => c.address)).toEqual([]);
    // Nothing to carry out: the resources are only adopted into the state.
    expect(applied.apply?.results ?? []).toEqual([]);
    expect((await runPlan(options)).plan.changes.filter((c) => c.action !== 'no-op' || c.adopt).map((c) => c.address)).toEqual([]);

    await expect(runImport(options, { instance: 'main', databases: [db] })).rejects.toThrow(/--force/);
    await expect(runImport(options, { instance: 'nope' })).rejects.toThrow(/no PostgresInstance named "nope".*main/);
  });

  // Runs the built command line: `npm test` builds first (or run `npm run build`).
  it('runs from the command line, writing the instance into a separate directory', async () => {
    const dir = await makeProject({ 'instance.yaml': instanceYaml() });
    const out = join(await makeProject({}), 'imported');
    const result = await runCli(['-C', dir, 'import', 'postgres', '--instance', 'main', '--database', db, '--out', out, '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as { ok: boolean; out: string; instanceWritten: boolean; catalogQueries: number; files: { path: string; kind: string; resources: number }[] };
    expect(summary).toMatchObject({ ok: true, out, instanceWritten: true, catalogQueries: 7 });
    expect(summary.files.map((f) => f.path.slice(out.length + 1)).sort()).toEqual(
      ['databases.yaml', 'default-privileges.yaml', 'grants.yaml', 'instance.yaml', 'memberships.yaml', 'roles.yaml', 'schemas.yaml'],
    );
    // The copied instance keeps the password as an environment reference.
    expect(await readFile(join(out, 'instance.yaml'), 'utf8')).toContain('env: STEWARD_TEST_PGPASSWORD');

    const plan = await runPlan(projectOptions(out));
    expect(plan.plan.diagnostics).toEqual([]);
    expect(plan.plan.changes.filter((c) => mine(c.address) && c.action !== 'no-op').map((c) => c.address)).toEqual([]);

    const again = await runCli(['-C', dir, 'import', 'postgres', '--instance', 'main', '--database', db, '--out', out]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('--force');
    const forced = await runCli(['-C', dir, 'import', 'postgres', '--instance', 'main', '--database', db, '--out', out, '--force']);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('Left out:');
    expect(forced.stdout).toContain(`schema ${db}.public`);
  });
});
