import { describe, expect, it } from 'vitest';
import { runApply, runPlan } from './reconcile.js';
import { uniqueName } from '../../test/fixtures.js';
import { adminClient, instanceYaml, makeProject, projectOptions, roleYaml, writeProject } from '../../test/project.js';

const approve = { confirm: async () => true };

function doc(kind: string, name: string, spec: Record<string, unknown>): string {
  return `---\n${JSON.stringify({ apiVersion: 'steward.dev/v1alpha1', kind, metadata: { name }, spec: { instance: 'main', ...spec } })}\n`;
}

async function sql(text: string, params: readonly unknown[] = []): Promise<Record<string, unknown>[]> {
  const admin = await adminClient();
  try {
    return (await admin.query(text, params as unknown[])).rows;
  } finally {
    await admin.end();
  }
}

async function can(role: string, table: string, privilege: string): Promise<boolean> {
  const [row] = await sql('SELECT has_table_privilege($1, $2, $3) AS ok', [role, table, privilege]);
  return row?.['ok'] === true;
}

const changed = (report: Awaited<ReturnType<typeof runPlan>>): string[] =>
  report.plan.changes.filter((c) => c.action !== 'no-op').map((c) => `${c.address} ${c.action} ${c.changes.map((f) => f.field).join(',')}`);

describe('grants against a real PostgreSQL', () => {
  it('revokes an out-of-band GRANT in authoritative mode and leaves it alone in additive mode', async () => {
    const schema = uniqueName('gr');
    const strict = uniqueName('strict');
    const loose = uniqueName('loose');
    await sql(`CREATE SCHEMA ${schema}; CREATE TABLE ${schema}.invoices (id int)`);
    const on = { type: 'table', database: 'postgres', schema, names: ['invoices'] };
    const dir = await makeProject({
      'instance.yaml': instanceYaml(),
      'roles.yaml': roleYaml(strict, '') + roleYaml(loose, ''),
      'grants.yaml':
        doc('PostgresGrant', 'strict-read', { grantee: strict, privileges: ['SELECT'], on }) +
        doc('PostgresGrant', 'loose-read', { grantee: loose, privileges: ['select'], on, mode: 'additive' }),
    });
    const options = projectOptions(dir);
    expect((await runApply(options, approve)).apply?.ok).toBe(true);
    expect(await can(strict, `${schema}.invoices`, 'SELECT')).toBe(true);
    expect(changed(await runPlan(options))).toEqual([]);

    await sql(`GRANT DELETE ON ${schema}.invoices TO ${strict}, ${loose}`);
    const drift = await runPlan(options);
    expect(changed(drift)).toEqual(['PostgresGrant/strict-read update privileges']);
    expect(drift.plan.changes.find((c) => c.address === 'PostgresGrant/strict-read')?.changes[0]).toMatchObject({
      before: { [`${schema}.invoices`]: ['DELETE', 'SELECT'] },
      after: { [`${schema}.invoices`]: ['SELECT'] },
    });
    expect((await runApply(options, approve)).apply?.ok).toBe(true);
    expect(await can(strict, `${schema}.invoices`, 'DELETE')).toBe(false);
    expect(await can(loose, `${schema}.invoices`, 'DELETE')).toBe(true);

    // Removing the manifests revokes what each grant owns: all of it (authoritative) or only the declared part (additive).
    await writeProject(dir, { 'grants.yaml': '' });
    const removed = await runApply(options, approve);
    expect(removed.apply?.results.filter((r) => r.status !== 'succeeded')).toEqual([]);
    expect(await can(strict, `${schema}.invoices`, 'SELECT')).toBe(false);
    expect(await can(loose, `${schema}.invoices`, 'SELECT')).toBe(false);
    expect(await can(loose, `${schema}.invoices`, 'DELETE')).toBe(true);
    await runApply(options, approve, { destroy: true });
    await sql(`DROP SCHEMA ${schema} CASCADE`);
  });

  it('reports tables created later as missing privileges, and stays empty when paired with default privileges', async () => {
    const schema = uniqueName('allin');
    const owner = uniqueName('owner');
    const reader = uniqueName('reader');
    await sql(`CREATE ROLE ${owner}; CREATE SCHEMA ${schema} AUTHORIZATION ${owner}; SET ROLE ${owner}; CREATE TABLE ${schema}.a (id int); RESET ROLE`);
    const grant = doc('PostgresGrant', 'reader-all', { grantee: reader, privileges: ['SELECT'], on: { type: 'table', database: 'postgres', schema, all: true } });
    const dir = await makeProject({ 'instance.yaml': instanceYaml(), 'roles.yaml': roleYaml(reader, ''), 'grants.yaml': grant });
    const options = projectOptions(dir);
    expect((await runApply(options, approve)).apply?.ok).toBe(true);
    expect(changed(await runPlan(options))).toEqual([]);

    await sql(`SET ROLE ${owner}; CREATE TABLE ${schema}.b (id int); RESET ROLE`);
    const next = await runPlan(options);
    expect(next.plan.changes.find((c) => c.address === 'PostgresGrant/reader-all')?.changes).toEqual([{ field: 'missing', before: { [`${schema}.b`]: ['SELECT'] }, after: {}, requiresReplace: false }]);
    expect((await runApply(options, approve)).apply?.ok).toBe(true);
    expect(await can(reader, `${schema}.b`, 'SELECT')).toBe(true);

    await writeProject(dir, {
      'defaults.yaml': doc('PostgresDefaultPrivileges', 'reader-future', { database: 'postgres', owner, schema, objectType: 'tables', grantee: reader, privileges: ['SELECT'] }),
    });
    expect((await runApply(options, approve)).apply?.ok).toBe(true);
    await sql(`SET ROLE ${owner}; CREATE TABLE ${schema}.c (id int); RESET ROLE`);
    expect(changed(await runPlan(options))).toEqual([]);
    expect(await can(reader, `${schema}.c`, 'SELECT')).toBe(true);
    await runApply(options, approve, { destroy: true });
    await sql(`DROP SCHEMA ${schema} CASCADE; DROP ROLE ${owner}`);
  });

  it('applies many grants on the same objects with 16 workers, from two processes at once, without catalog conflicts', async () => {
    const schema = uniqueName('busy');
    await sql(`CREATE SCHEMA ${schema}; CREATE TABLE ${schema}.t1 (id int); CREATE TABLE ${schema}.t2 (id int); CREATE SEQUENCE ${schema}.s`);
    const project = async (prefix: string): Promise<string> => {
      const roles = Array.from({ length: 24 }, (_, i) => `${prefix}_${i}`);
      return makeProject({
        'instance.yaml': instanceYaml(),
        'roles.yaml': roles.map((r) => roleYaml(r, '')).join(''),
        'grants.yaml': roles
          .map(
            (r) =>
              doc('PostgresGrant', `${r}-tables`.replace(/_/g, '-'), { grantee: r, privileges: ['SELECT', 'INSERT'], on: { type: 'table', database: 'postgres', schema, names: ['t1', 't2'] } }) +
              doc('PostgresGrant', `${r}-schema`.replace(/_/g, '-'), { grantee: r, privileges: ['USAGE'], on: { type: 'schema', database: 'postgres', names: [schema] } }) +
              doc('PostgresGrant', `${r}-seq`.replace(/_/g, '-'), { grantee: r, privileges: ['USAGE'], on: { type: 'sequence', database: 'postgres', schema, all: true } }),
          )
          .join(''),
      });
    };
    const [a, b] = await Promise.all([project(uniqueName('wa')), project(uniqueName('wb'))]);
    const [ra, rb] = await Promise.all([
      runApply(projectOptions(a, { parallelism: 16 }), approve),
      runApply(projectOptions(b, { parallelism: 16 }), approve),
    ]);
    const failures = [...(ra.apply?.results ?? []), ...(rb.apply?.results ?? [])].filter((r) => r.status !== 'succeeded');
    expect(failures).toEqual([]);
    expect(ra.apply?.results).toHaveLength(24 * 4);
    expect(changed(await runPlan(projectOptions(a)))).toEqual([]);
    expect(changed(await runPlan(projectOptions(b)))).toEqual([]);
    await Promise.all([runApply(projectOptions(a, { parallelism: 16 }), approve, { destroy: true }), runApply(projectOptions(b, { parallelism: 16 }), approve, { destroy: true })]);
    await sql(`DROP SCHEMA ${schema} CASCADE`);
  });
});
