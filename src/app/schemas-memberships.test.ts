import { describe, expect, it } from 'vitest';
import { runApply, runPlan } from './reconcile.js';
import { uniqueName } from '../../test/fixtures.js';
import { adminClient, databaseYaml, instanceYaml, makeProject, manifestYaml, projectOptions, roleYaml, writeProject } from '../../test/project.js';
import { MEMBERSHIP_OPTIONS_VERSION, serverVersionNum } from '../../test/server-version.js';

const approve = { confirm: async () => true };

async function query(sql: string, params: readonly unknown[] = [], database = 'postgres'): Promise<Record<string, unknown>[]> {
  const admin = await adminClient(database);
  try {
    return (await admin.query(sql, params as unknown[])).rows;
  } finally {
    await admin.end();
  }
}

// This suite also runs on PostgreSQL 14 (the pg14 project), which has no per-membership INHERIT
// option, so the membership declares it only from 16 on; its refusal before 16 is tested in
// src/providers/postgres/postgres.conformance.test.ts.
const inheritOption = (await serverVersionNum()) >= MEMBERSHIP_OPTIONS_VERSION ? '\ninherit: true' : '';

describe('schemas and role memberships', () => {
  it('creates a schema in a database it also creates, and memberships, in order; then removes them in reverse', async () => {
    const owner = uniqueName('sm_owner');
    const group = uniqueName('sm_group');
    const member = uniqueName('sm_member');
    const db = uniqueName('sm_db');
    const dir = await makeProject({
      'instance.yaml': instanceYaml(),
      'roles.yaml': roleYaml(owner, '') + roleYaml(group, '') + roleYaml(member, 'login: true\nconnectionLimit: 2'),
      'db.yaml': databaseYaml(db, `owner: ${owner}`),
      'schema.yaml': manifestYaml('PostgresSchema', 'billing-schema', `database: ${db}\nschema: billing\nowner: ${owner}\ncomment: invoices`),
      'membership.yaml': manifestYaml('PostgresRoleMembership', 'member-in-group', `role: ${group}\nmember: ${member}${inheritOption}`),
    });
    const options = projectOptions(dir);
    const plan = await runPlan(options);
    const order: string[] = plan.plan.changes.map((c) => c.address);
    expect(order.indexOf(`PostgresDatabase/${db}`)).toBeLessThan(order.indexOf('PostgresSchema/billing-schema'));
    expect(order.indexOf(`PostgresRole/${group}`)).toBeLessThan(order.indexOf('PostgresRoleMembership/member-in-group'));
    const applied = await runApply(options, approve);
    expect(applied.plan.diagnostics).toEqual([]);
    expect(applied.apply?.results.filter((r) => r.status !== "succeeded")).toEqual([]);

    expect(await query(`SELECT pg_get_userbyid(nspowner) AS owner, obj_description(oid, 'pg_namespace') AS comment FROM pg_namespace WHERE nspname = 'billing'`, [], db)).toEqual([
      { owner, comment: 'invoices' },
    ]);
    expect(
      await query(
        'SELECT am.admin_option FROM pg_auth_members am JOIN pg_roles r ON r.oid = am.roleid JOIN pg_roles m ON m.oid = am.member WHERE r.rolname = $1 AND m.rolname = $2',
        [group, member],
      ),
    ).toEqual([{ admin_option: false }]);
    expect((await runPlan(options)).plan.changes.every((c) => c.action === 'no-op')).toBe(true);

    // Drift on both: an out-of-band admin option and schema owner are reverted.
    await query(`GRANT ${group} TO ${member} WITH ADMIN OPTION`);
    await query(`ALTER SCHEMA billing OWNER TO postgres`, [], db);
    const drift = await runPlan(options);
    expect(drift.plan.changes.filter((c) => c.action !== 'no-op').map((c) => [c.address, c.changes.map((f) => f.field)])).toEqual([
      ['PostgresRoleMembership/member-in-group', ['admin']],
      ['PostgresSchema/billing-schema', ['owner']],
    ]);
    expect((await runApply(options, approve)).apply?.ok).toBe(true);
    expect((await runPlan(options)).plan.changes.every((c) => c.action === 'no-op')).toBe(true);

    // Removing the schema and membership manifests deletes them using the spec kept in the state.
    await writeProject(dir, { 'schema.yaml': '', 'membership.yaml': '' });
    const removal = await runPlan(options);
    expect(removal.plan.changes.filter((c) => c.action === 'delete').map((c) => c.address).sort()).toEqual([
      'PostgresRoleMembership/member-in-group',
      'PostgresSchema/billing-schema',
    ]);
    expect((await runApply(options, approve)).apply?.ok).toBe(true);
    expect(await query(`SELECT 1 FROM pg_namespace WHERE nspname = 'billing'`, [], db)).toEqual([]);
    expect((await runPlan(options)).plan.changes.every((c) => c.action === 'no-op')).toBe(true);
    await runApply(options, approve, { destroy: true });
  });
});
