import { describe, expect, it } from 'vitest';
import { runApply, runPlan, withStore } from '../src/app/index.js';
import { DiagnosticsError } from '../src/core/index.js';
import { uniqueName } from './fixtures.js';
import { adminClient, databaseYaml, instanceYaml, makeProject, projectOptions, roleYaml, runCli, writeProject } from './project.js';

const approve = { confirm: async () => true };
const OWNED = 'connectionLimit: 2\nvalidUntil: "2031-01-01T00:00:00Z"\ncomment: streams changes';
const owner = '\n  annotations: { steward.dev/owner: data-team }';

function waiverYaml(rule: string, address: string, expires: string): string {
  return `apiVersion: steward.dev/v1alpha1
kind: PolicyWaiver
metadata:
  name: temporary
spec:
  rule: ${rule}
  resources: [${address}]
  reason: the CDC tool needs it until the migration ends
  owner: data-team@example.com
  expires: ${expires}
`;
}

async function liveRole(name: string): Promise<Record<string, unknown> | undefined> {
  const admin = await adminClient();
  const { rows } = await admin.query('SELECT rolreplication, rolconnlimit FROM pg_roles WHERE rolname = $1', [name]);
  await admin.end();
  return rows[0];
}

async function liveDatabase(name: string): Promise<boolean> {
  const admin = await adminClient();
  const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  await admin.end();
  return rowCount === 1;
}

async function decisionsOf(options: ReturnType<typeof projectOptions>) {
  return withStore({ ...options, command: 'check' }, async (store) => {
    const entries = (await store.audit.list()).filter((e) => e.action === 'policy.decision');
    expect((await store.audit.verify()).ok).toBe(true);
    return entries.map((e) => ({ address: e.address, outcome: e.outcome, detail: e.detail as Record<string, unknown> }));
  });
}

describe('policy gates plan and apply against a real PostgreSQL', () => {
  it('denies a plan, lets a waiver through until it expires, and records every decision', async () => {
    const role = uniqueName('cdc');
    const address = `PostgresRole/${role}`;
    const dir = await makeProject({ 'instance.yaml': instanceYaml(), 'roles.yaml': roleYaml(role, `login: true\nreplication: true\n${OWNED}`, owner) });
    const options = projectOptions(dir);

    // Denied: nothing changes on the server, and the denial is in the audit log.
    const plan = await runPlan(options);
    expect(plan.policy.denied).toEqual([
      expect.objectContaining({ ruleId: 'STW-PG-003', address, action: 'create', location: expect.objectContaining({ file: expect.stringContaining('roles.yaml'), line: 2 }) }),
    ]);
    const denied = await runApply(options, approve);
    expect(denied.approved).toBe(false);
    expect(denied.apply).toBeUndefined();
    expect(await liveRole(role)).toBeUndefined();
    expect(await decisionsOf(options)).toEqual([
      { address, outcome: 'failed', detail: expect.objectContaining({ rule: 'STW-PG-003', outcome: 'denied', enforcement: 'deny', severity: 'high', waivedBy: null }) },
    ]);
    await withStore({ ...options, command: 'check' }, async (store) => expect(await store.listResources()).toEqual([]));

    // Waived until 2099: applied, and the waived decision is recorded with its waiver.
    await writeProject(dir, { 'waiver.yaml': waiverYaml('STW-PG-003', address, '2099-01-01') });
    const waived = await runApply(options, approve);
    expect(waived.apply?.ok).toBe(true);
    expect(waived.policy.decisions).toEqual([
      expect.objectContaining({ ruleId: 'STW-PG-003', outcome: 'waived', waivedBy: expect.objectContaining({ address: 'PolicyWaiver/temporary', owner: 'data-team@example.com' }) }),
    ]);
    expect(await liveRole(role)).toEqual({ rolreplication: true, rolconnlimit: 2 });
    expect((await decisionsOf(options)).map((d) => [d.outcome, d.detail['outcome'], (d.detail['waivedBy'] as { address?: string } | null)?.address ?? null])).toEqual([
      ['failed', 'denied', null],
      ['info', 'waived', 'PolicyWaiver/temporary'],
    ]);

    // Expired: the waiver stops applying, so the next change is denied and reported.
    await writeProject(dir, {
      'waiver.yaml': waiverYaml('STW-PG-003', address, '2020-01-01'),
      'roles.yaml': roleYaml(role, `login: true\nreplication: true\n${OWNED.replace('connectionLimit: 2', 'connectionLimit: 3')}`, owner),
    });
    const expired = await runApply(options, approve);
    expect(expired.approved).toBe(false);
    expect(expired.policy.denied.map((d) => d.ruleId)).toEqual(['STW-PG-003']);
    expect(expired.policy.expiredWaivers.map((w) => w.address)).toEqual(['PolicyWaiver/temporary']);
    expect(expired.plan.diagnostics).toEqual([expect.objectContaining({ severity: 'warning', address: 'PolicyWaiver/temporary', summary: expect.stringContaining('expired on 2020-01-01') })]);
    expect(await liveRole(role)).toEqual({ rolreplication: true, rolconnlimit: 2 });

    // Cleanup: dropping the role is not a policy matter.
    await writeProject(dir, { 'roles.yaml': '', 'waiver.yaml': '' });
    expect((await runApply(options, approve)).apply?.ok).toBe(true);
    expect(await liveRole(role)).toBeUndefined();
  });

  it('reports a broken project rule with its file and line before touching anything', async () => {
    const dir = await makeProject({
      'instance.yaml': instanceYaml(),
      'policy.yaml': `apiVersion: steward.dev/v1alpha1
kind: Policy
metadata:
  name: broken
spec:
  rules:
    - id: ACME-1
      title: misspelt
      severity: high
      match: [PostgresRole]
      condition: resource.spec.conectionLimit > 10
      message: too many
`,
    });
    const error = await runPlan(projectOptions(dir)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DiagnosticsError);
    expect((error as DiagnosticsError).diagnostics).toEqual([
      expect.objectContaining({
        severity: 'error',
        location: expect.objectContaining({ file: expect.stringContaining('policy.yaml'), line: 7 }),
        summary: 'policy rule ACME-1: its condition reads resource.spec.conectionLimit, which PostgresRole does not have',
        hint: expect.stringContaining("did you mean 'connectionLimit'?"),
      }),
    ]);
  });

  it('reports a rule failing at runtime as an error of the plan, with its line', async () => {
    const role = uniqueName('rt');
    const dir = await makeProject({
      'instance.yaml': instanceYaml(),
      'roles.yaml': roleYaml(role, 'comment: not a number'),
      'policy.yaml': `apiVersion: steward.dev/v1alpha1
kind: Policy
metadata:
  name: fragile
spec:
  rules:
    - id: ACME-2
      title: comment is a number
      severity: low
      match: [PostgresRole]
      condition: int(resource.spec.comment) > 3
      message: odd
`,
    });
    const options = projectOptions(dir);
    const report = await runApply(options, approve);
    expect(report.approved).toBe(false);
    expect(report.plan.diagnostics).toEqual([
      expect.objectContaining({ severity: 'error', location: expect.objectContaining({ line: 7 }), summary: expect.stringContaining(`ACME-2: evaluating it on PostgresRole/${role} failed`) }),
    ]);
    expect(await liveRole(role)).toBeUndefined();
  });

  it('gates the command line: plan and apply exit 1, JSON carries the policy section, a waived database drop goes through', async () => {
    const db = uniqueName('polldb');
    const dir = await makeProject({
      'instance.yaml': instanceYaml(),
      'db.yaml': databaseYaml(db, 'comment: keep me'),
      'policy.yaml': 'apiVersion: steward.dev/v1alpha1\nkind: Policy\nmetadata:\n  name: strict\nspec:\n  enforce: { STW-PG-030: deny }\n',
    });
    const created = await runCli(['-C', dir, 'apply', '--auto-approve']);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain('WARN   STW-PG-020 [low]');

    await writeProject(dir, { 'db.yaml': '' });
    const plan = await runCli(['-C', dir, 'plan', '--detailed-exitcode']);
    expect(plan.code).toBe(1);
    expect(plan.stdout).toContain(`DENY   STW-PG-030 [high] PostgresDatabase/${db} ((no manifest))`);
    expect(plan.stdout).toContain('fix: restore the manifest');
    expect(plan.stdout).toContain('STW-PG-030 is enforced as deny (not warn) by Policy/strict');
    expect(plan.stdout).toContain('Policy denies this plan');

    const apply = await runCli(['-C', dir, 'apply', '--auto-approve', '--json']);
    expect(apply.code).toBe(1);
    const document = JSON.parse(apply.stdout) as { ok: boolean; approved: boolean; policy: { denied: number; decisions: { rule: string; outcome: string; address: string }[] } };
    expect(document).toMatchObject({ ok: false, approved: false, policy: { denied: 1, decisions: [{ rule: 'STW-PG-030', outcome: 'denied', address: `PostgresDatabase/${db}` }] } });
    expect(await liveDatabase(db)).toBe(true);

    await writeProject(dir, { 'waiver.yaml': waiverYaml('STW-PG-030', `PostgresDatabase/${db}`, '2099-12-31') });
    const dropped = await runCli(['-C', dir, 'apply', '--auto-approve']);
    expect(dropped.code, dropped.stderr).toBe(0);
    expect(dropped.stdout).toContain('WAIVED STW-PG-030');
    expect(await liveDatabase(db)).toBe(false);
  });

  it('runs policy tests and lists the rules in force', async () => {
    const dir = await makeProject({
      'policy.yaml': `apiVersion: steward.dev/v1alpha1
kind: Policy
metadata:
  name: p
spec:
  disabled: [STW-PG-008]
  rules:
    - id: ACME-9
      title: no createdb
      severity: medium
      match: [PostgresRole]
      condition: resource.spec.createdb
      message: '{{ resource.metadata.name }} may create databases'
  tests:
    - { name: fails, rule: ACME-9, expect: violation, resource: { kind: PostgresRole, spec: { instance: main, createdb: true } } }
    - { name: passes, rule: ACME-9, expect: pass, resource: { kind: PostgresRole, spec: { instance: main } } }
`,
    });
    const ok = await runCli(['policy', 'test', dir]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('PASS  ACME-9: fails');
    expect(ok.stdout).toContain('2/2 cases passed');

    await writeProject(dir, {
      'policy.yaml': `apiVersion: steward.dev/v1alpha1
kind: Policy
metadata:
  name: p
spec:
  tests:
    - { name: wrong, rule: STW-PG-001, expect: pass, resource: { kind: PostgresRole, spec: { instance: main, superuser: true } } }
`,
    });
    const failing = await runCli(['policy', 'test', dir, '--builtin']);
    expect(failing.code).toBe(1);
    expect(failing.stdout).toMatch(/FAIL {2}STW-PG-001: wrong \(.*policy\.yaml:7\)\n {6}expected pass, got violation: role test has SUPERUSER/);
    expect(failing.stdout).toContain('PASS  STW-PG-005: a login role with a limit (built-in)');

    const list = await runCli(['-C', dir, 'policy', 'list', '--json']);
    expect(list.code).toBe(0);
    const rules = (JSON.parse(list.stdout) as { rules: { id: string }[] }).rules.map((r) => r.id);
    expect(rules).toContain('STW-PG-001');
  });
});
