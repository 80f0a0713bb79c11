import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { uniqueName } from './fixtures.js';
import { adminClient, makeProject, projectEnv, roleYaml, runCli, waitFor, writeProject } from './project.js';
import {
  auditOf,
  autonomyYaml,
  connectionLimit,
  grantYaml,
  instanceIn,
  osUser,
  sqlIn,
  startAgent,
  storeUrl,
  suiteDatabase,
} from './agent-support.js';

const suite = suiteDatabase('agentdb');

/** A shared PostgreSQL store, so the audit log and change requests can be read while the agent runs. */
async function pgStoreEnv(extra: NodeJS.ProcessEnv = {}): Promise<NodeJS.ProcessEnv> {
  const store = await suite.storeDatabase('agentstore');
  return projectEnv({ STEWARD_DATABASE_URL: storeUrl(store), ...extra });
}

async function applied(dir: string, env: NodeJS.ProcessEnv): Promise<void> {
  const result = await runCli(['-C', dir, 'apply', '--auto-approve'], { env });
  expect(result.code, result.stderr).toBe(0);
}

async function canOn(role: string, table: string, privilege: string): Promise<boolean> {
  const [row] = await sqlIn(suite.name, 'SELECT has_table_privilege($1, $2, $3) AS ok', [role, table, privilege]);
  return row?.['ok'] === true;
}

async function tableFor(prefix: string): Promise<{ schema: string; table: string }> {
  const schema = uniqueName(prefix);
  await sqlIn(suite.name, `CREATE SCHEMA ${schema}; CREATE TABLE ${schema}.items (id int)`);
  return { schema, table: 'items' };
}

describe('steward agent against a real PostgreSQL', () => {
  it('under auto, reverts an out-of-band ALTER ROLE and GRANT, audits the drift and the action, and stops cleanly', async () => {
    const role = uniqueName('auto');
    const { schema, table } = await tableFor('auto');
    const dir = await makeProject({
      'instance.yaml': instanceIn(suite.name),
      'roles.yaml': roleYaml(role, 'connectionLimit: 1'),
      'grants.yaml': grantYaml('read', role, suite.name, schema, table, ['SELECT']),
      'autonomy.yaml': autonomyYaml('default: auto'),
    });
    const env = projectEnv();
    await applied(dir, env);
    const agent = await startAgent(dir, env, ['--metrics-port', '0']);
    try {
      const admin = await adminClient();
      await admin.query(`ALTER ROLE ${role} CONNECTION LIMIT 9`);
      await admin.end();
      await waitFor(async () => (await connectionLimit(role)) === 1, 'the ALTER ROLE to be reverted');
      await sqlIn(suite.name, `GRANT DELETE ON ${schema}.${table} TO ${role}`);
      await waitFor(async () => !(await canOn(role, `${schema}.${table}`, 'DELETE')), 'the GRANT to be revoked');
      expect(await canOn(role, `${schema}.${table}`, 'SELECT')).toBe(true);
      const port = /"port":(\d+),"msg":"serving metrics/.exec(agent.log())?.[1];
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toMatch(/steward_drift_detected_total\{kind="PostgresRole"\} 1/);
      expect(metrics).toMatch(/steward_drift_detected_total\{kind="PostgresGrant"\} 1/);
      expect(metrics).toMatch(/steward_actions_total\{outcome="succeeded"\} 2/);

      // The embedded store is the agent's while it runs: other commands say how to get at it.
      const busy = await runCli(['-C', dir, 'audit', 'list'], { env });
      expect(busy.code).toBe(1);
      expect(busy.stderr).toContain('steward agent');
      expect(busy.stderr).toContain('STEWARD_DATABASE_URL');

      // A broken manifest is reported where it is broken; the last good set stays in force.
      await writeProject(dir, { 'roles.yaml': `${roleYaml(role, 'connectionLimit: 1')}  conectionLimit: 3\n` });
      await waitFor(async () => agent.log().includes('the last good set stays in force'), 'the broken manifest to be reported');
      expect(agent.log()).toMatch(/roles\.yaml:\d+:\d+: error\[unknown-field\]/);
      const again = await adminClient();
      await again.query(`ALTER ROLE ${role} CONNECTION LIMIT 4`);
      await again.end();
      await waitFor(async () => (await connectionLimit(role)) === 1, 'the last good manifests to be enforced');
      await writeProject(dir, { 'roles.yaml': roleYaml(role, 'connectionLimit: 1') });
    } finally {
      expect(await agent.stop()).toBe(0);
    }
    expect(agent.log()).toContain('"mode":"events"');
    const roleAudit = await auditOf(dir, env, `PostgresRole/${role}`);
    expect(roleAudit.map((e) => `${e.action}:${e.outcome}`)).toEqual(expect.arrayContaining(['drift.detected:info', 'update:pending', 'update:succeeded']));
    const drift = roleAudit.find((e) => e.action === 'drift.detected');
    expect(drift?.detail).toMatchObject({ decision: 'revert', goal: { resource: `PostgresRole/${role}`, manifest: expect.stringContaining('roles.yaml') } });
    const grantAudit = await auditOf(dir, env, 'PostgresGrant/read');
    expect(grantAudit.map((e) => `${e.action}:${e.outcome}`)).toEqual(expect.arrayContaining(['drift.detected:info', 'update:succeeded']));
    expect((await runCli(['-C', dir, 'audit', 'verify'], { env })).code).toBe(0);
    await runCli(['-C', dir, 'destroy', '--auto-approve'], { env });
  });

  it('under observe, reports the drift once in the audit log and changes nothing', async () => {
    const role = uniqueName('observe');
    const dir = await makeProject({
      'instance.yaml': instanceIn(suite.name),
      'roles.yaml': roleYaml(role, 'connectionLimit: 1'),
      'autonomy.yaml': autonomyYaml('default: observe'),
    });
    const env = await pgStoreEnv();
    await applied(dir, env);
    const agent = await startAgent(dir, env);
    try {
      const admin = await adminClient();
      await admin.query(`ALTER ROLE ${role} CONNECTION LIMIT 9`);
      await admin.end();
      await waitFor(async () => (await auditOf(dir, env, `PostgresRole/${role}`)).some((e) => e.action === 'drift.detected'), 'the drift to be reported');
      const entries = await auditOf(dir, env, `PostgresRole/${role}`);
      const drift = entries.filter((e) => e.action === 'drift.detected');
      expect(drift).toHaveLength(1);
      expect(drift[0]?.detail).toMatchObject({ decision: 'report only' });
      expect(entries.some((e) => e.action === 'update')).toBe(false);
      expect(await connectionLimit(role)).toBe(9);
    } finally {
      expect(await agent.stop()).toBe(0);
    }
    await runCli(['-C', dir, 'destroy', '--auto-approve'], { env });
  });

  it('under propose, opens a change request: its proposer cannot approve it, a moved live state makes it stale, and an approved one is applied exactly', async () => {
    const role = uniqueName('propose');
    const token = 'approver-token-for-tests';
    const tokenSha256 = createHash('sha256').update(token).digest('hex');
    const dir = await makeProject({
      'instance.yaml': instanceIn(suite.name),
      'roles.yaml': roleYaml(role, 'connectionLimit: 1'),
      'autonomy.yaml': autonomyYaml(`default: propose
approvals:
  required: 1
  approvers:
    - user: ${osUser()}
    - name: ops
      tokenSha256: ${tokenSha256}`),
    });
    // The agent acts as the OS user, so that person is its proposer.
    const env = await pgStoreEnv({ STEWARD_ACTOR: osUser() });
    await applied(dir, env);
    const agent = await startAgent(dir, env);
    type Request = { id: number; status: string; address: string; proposer: string };
    const requests = async (): Promise<Request[]> => JSON.parse((await runCli(['-C', dir, 'approvals', 'list', '--all', '--json'], { env })).stdout) as Request[];
    try {
      const admin = await adminClient();
      await admin.query(`ALTER ROLE ${role} CONNECTION LIMIT 9`);
      await waitFor(async () => (await requests()).some((r) => r.status === 'pending'), 'a change request');
      const first = (await requests()).find((r) => r.status === 'pending')!;
      expect(first).toMatchObject({ address: `PostgresRole/${role}`, proposer: osUser() });

      const self = await runCli(['-C', dir, 'approvals', 'approve', String(first.id)], { env });
      expect(self.code).toBe(1);
      expect(self.stderr).toContain('separation of duties');

      // The live state moves: the pending request no longer describes what would be done.
      await admin.query(`ALTER ROLE ${role} CONNECTION LIMIT 8`);
      await admin.end();
      await waitFor(async () => (await requests()).some((r) => r.id !== first.id && r.status === 'pending'), 'a re-planned change request');
      const all = await requests();
      expect(all.find((r) => r.id === first.id)?.status).toBe('stale');
      const second = all.find((r) => r.status === 'pending')!;
      expect(await connectionLimit(role)).toBe(8);

      const shown = await runCli(['-C', dir, 'approvals', 'show', String(second.id)], { env });
      expect(shown.stdout).toContain('connectionLimit: 8 -> 1');
      const approved = await runCli(['-C', dir, 'approvals', 'approve', String(second.id), '-m', 'looks right'], { env: { ...env, STEWARD_APPROVER_TOKEN: token } });
      expect(approved.code, approved.stderr).toBe(0);
      await waitFor(async () => (await connectionLimit(role)) === 1, 'the approved change to be applied');
      await waitFor(async () => (await requests()).find((r) => r.id === second.id)?.status === 'applied', 'the request to be closed as applied');
    } finally {
      expect(await agent.stop()).toBe(0);
    }
    const actions = (await auditOf(dir, env, `PostgresRole/${role}`)).map((e) => `${e.actor}:${e.action}`);
    expect(actions).toEqual(expect.arrayContaining([`${osUser()}:change.proposed`, `${osUser()}:change.approve-refused`, `${osUser()}:change.stale`, 'token:ops:change.approved', `${osUser()}:change.applied`]));
    expect(token).not.toSatisfy((t: string) => actions.join(' ').includes(t));
    await runCli(['-C', dir, 'destroy', '--auto-approve'], { env });
  });

  it('under auto, asks for approval before a destructive change, and closes the request as obsolete once it is not needed', async () => {
    const keep = uniqueName('keep');
    const gone = uniqueName('gone');
    const dir = await makeProject({
      'instance.yaml': instanceIn(suite.name),
      'roles.yaml': roleYaml(keep, '') + roleYaml(gone, ''),
      'autonomy.yaml': autonomyYaml('default: auto'),
    });
    const env = await pgStoreEnv();
    await applied(dir, env);
    const agent = await startAgent(dir, env);
    type Request = { id: number; status: string; address: string; action: string; destructive: boolean; reason: string };
    const requests = async (): Promise<Request[]> => JSON.parse((await runCli(['-C', dir, 'approvals', 'list', '--all', '--json'], { env })).stdout) as Request[];
    try {
      await writeProject(dir, { 'roles.yaml': roleYaml(keep, '') });
      await waitFor(async () => (await requests()).some((r) => r.status === 'pending'), 'a change request for the delete');
      expect((await requests())[0]).toMatchObject({ address: `PostgresRole/${gone}`, action: 'delete', destructive: true, reason: expect.stringContaining('does not allow destructive changes') });
      const [exists] = await sqlIn('postgres', 'SELECT count(*)::int AS n FROM pg_roles WHERE rolname = $1', [gone]);
      expect(exists).toEqual({ n: 1 });
      await writeProject(dir, { 'roles.yaml': roleYaml(keep, '') + roleYaml(gone, '') });
      await waitFor(async () => (await requests())[0]?.status === 'obsolete', 'the request to become obsolete');
    } finally {
      expect(await agent.stop()).toBe(0);
    }
    await runCli(['-C', dir, 'destroy', '--auto-approve'], { env });
  });

  it('without superuser, watches a database by polling its fingerprint, says so, and still detects drift', async () => {
    const watcher = uniqueName('watcher');
    const role = uniqueName('polled');
    const { schema, table } = await tableFor('polled');
    const admin = await adminClient();
    await admin.query(`CREATE ROLE ${watcher} LOGIN PASSWORD 'watcher-pw'; CREATE ROLE ${role}`);
    await admin.end();
    await sqlIn(suite.name, `GRANT SELECT ON ${schema}.${table} TO ${role}`);
    const dir = await makeProject({
      'instance.yaml': instanceIn(suite.name).replace(/user: .*/, `user: ${watcher}`).replace(/password: .*/, 'password: { env: WATCHER_PW }'),
      'roles.yaml': roleYaml(role, ''),
      'grants.yaml': grantYaml('polled-read', role, suite.name, schema, table, ['SELECT']),
      'autonomy.yaml': autonomyYaml('default: observe'),
    });
    const env = projectEnv({ WATCHER_PW: 'watcher-pw' });
    const agent = await startAgent(dir, env);
    try {
      await waitFor(async () => /"scope":"database \w+","mode":"polling","reason":"the connection is not a superuser/.test(agent.log()), 'the fallback to be reported');
      await sqlIn(suite.name, `GRANT DELETE ON ${schema}.${table} TO ${role}`);
      await waitFor(async () => agent.log().includes('"msg":"drift detected"'), 'the polled drift to be detected');
      expect(agent.log()).toMatch(/"source":"poll"/);
      expect(agent.log()).toContain('"decision":"report only"');
    } finally {
      expect(await agent.stop()).toBe(0);
    }
    const status = JSON.parse(await readFile(join(dir, '.steward', 'agent.json'), 'utf8')) as { watches: Record<string, { mode: string; reason?: string }[]> };
    expect(status.watches['PostgresInstance/main']).toEqual(expect.arrayContaining([expect.objectContaining({ mode: 'polling', reason: expect.stringContaining('not a superuser') })]));
    await sqlIn(suite.name, `DROP OWNED BY ${role}; DROP ROLE ${role}; DROP ROLE ${watcher}`);
  });

  it('with --once runs one cycle and exits: 0 when it reconciled, 1 when the cycle failed', async () => {
    const role = uniqueName('once');
    const dir = await makeProject({ 'instance.yaml': instanceIn(suite.name), 'roles.yaml': roleYaml(role, 'connectionLimit: 1'), 'autonomy.yaml': autonomyYaml('default: auto') });
    const env = projectEnv();
    await applied(dir, env);
    const admin = await adminClient();
    await admin.query(`ALTER ROLE ${role} CONNECTION LIMIT 9`);
    await admin.end();
    const once = await runCli(['-C', dir, 'agent', '--once'], { env });
    expect(once.code, once.stderr).toBe(0);
    expect(await connectionLimit(role)).toBe(1);
    await runCli(['-C', dir, 'destroy', '--auto-approve'], { env });

    const down = await makeProject({ 'instance.yaml': instanceIn(suite.name).replace(/port: \d+/, 'port: 1'), 'roles.yaml': roleYaml(role, '') });
    const failed = await runCli(['-C', down, 'agent', '--once'], { env });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('the reconcile cycle failed');
    expect(failed.stderr).toContain('cannot connect');
  });
});
