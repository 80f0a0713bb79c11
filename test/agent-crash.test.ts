import { describe, expect, it } from 'vitest';
import { uniqueName } from './fixtures.js';
import { adminClient, makeProject, projectEnv, roleYaml, runCli, startCli, waitFor } from './project.js';
import { auditOf, autonomyYaml, connectionLimit, instanceIn, sqlIn, startAgent, storeUrl, suiteDatabase } from './agent-support.js';
import { stewardIsWaiting } from './role-locks.js';

const suite = suiteDatabase('crashdb');

async function alterRole(role: string, limit: number): Promise<void> {
  const admin = await adminClient();
  await admin.query(`ALTER ROLE ${role} CONNECTION LIMIT ${limit}`);
  await admin.end();
}

async function applied(dir: string, env: NodeJS.ProcessEnv): Promise<void> {
  const result = await runCli(['-C', dir, 'apply', '--auto-approve'], { env });
  expect(result.code, result.stderr).toBe(0);
}

describe('steward agent: crashes and replicas', () => {
  it('after kill -9 mid-apply, the restarted agent recovers the recorded intent and reverts the drift', async () => {
    const role = uniqueName('agentcrash');
    const dir = await makeProject({ 'instance.yaml': instanceIn(suite.name), 'roles.yaml': roleYaml(role, 'connectionLimit: 1'), 'autonomy.yaml': autonomyYaml('default: auto') });
    const env = projectEnv();
    await applied(dir, env);
    await alterRole(role, 9);
    // Another session holds the role's lock, so the agent's revert hangs mid-mutation.
    const blocker = await adminClient();
    await blocker.query('BEGIN');
    await blocker.query(`ALTER ROLE ${role} CONNECTION LIMIT 99`);
    const victim = startCli(['-C', dir, 'agent'], env);
    const killed = new Promise<NodeJS.Signals | null>((r) => victim.on('close', (_code, signal) => r(signal)));
    try {
      await waitFor(() => stewardIsWaiting(role), 'the agent to be mid-mutation');
      victim.kill('SIGKILL');
      expect(await killed).toBe('SIGKILL');
      // The server notices the dead client and ends its session, so the waiting revert never lands.
      await waitFor(async () => !(await stewardIsWaiting(role)), 'the server to end the killed agent\'s session');
    } finally {
      await blocker.query('ROLLBACK');
      await blocker.end();
    }
    const before = await auditOf(dir, env, `PostgresRole/${role}`);
    expect(before.map((e) => `${e.action}:${e.outcome}`).slice(-2)).toEqual(['drift.detected:info', 'update:pending']);
    expect(await connectionLimit(role)).toBe(9);

    const agent = await startAgent(dir, env);
    try {
      await waitFor(async () => (await connectionLimit(role)) === 1, 'the restarted agent to revert the drift');
    } finally {
      expect(await agent.stop()).toBe(0);
    }
    const after = (await auditOf(dir, env, `PostgresRole/${role}`)).map((e) => `${e.action}:${e.outcome}`);
    expect(after.slice(before.length)).toEqual(expect.arrayContaining(['update:recovered', 'update:succeeded']));
    expect(after.indexOf('update:recovered')).toBeLessThan(after.lastIndexOf('update:succeeded'));
    expect((await runCli(['-C', dir, 'audit', 'verify'], { env })).code).toBe(0);
    await runCli(['-C', dir, 'destroy', '--auto-approve'], { env });
  });

  it('two replicas on one PostgreSQL store never both act on a resource, and the survivor takes over within a lease period', async () => {
    const role = uniqueName('replica');
    const storeDb = await suite.storeDatabase('replicastore');
    const dir = await makeProject({ 'instance.yaml': instanceIn(suite.name), 'roles.yaml': roleYaml(role, 'connectionLimit: 1'), 'autonomy.yaml': autonomyYaml('default: auto') });
    const base = projectEnv({ STEWARD_DATABASE_URL: storeUrl(storeDb) });
    await applied(dir, base);
    const one = await startAgent(dir, { ...base, STEWARD_ACTOR: 'replica-one' }, ['--lease', '2s']);
    const two = await startAgent(dir, { ...base, STEWARD_ACTOR: 'replica-two' }, ['--lease', '2s']);
    const agents = { 'replica-one': one, 'replica-two': two };
    const holder = async (): Promise<string | undefined> => {
      const [row] = await sqlIn(storeDb, `SELECT holder FROM steward.leases WHERE resource = $1 AND expires_at > now()`, [`PostgresRole/${role}`]);
      return typeof row?.['holder'] === 'string' ? row['holder'].split('#')[0] : undefined;
    };
    const updates = async () => (await auditOf(dir, base, `PostgresRole/${role}`)).filter((e) => e.action === 'update' && e.outcome === 'pending');
    try {
      await waitFor(async () => (await holder()) !== undefined, 'a replica to hold the lease');
      const first = (await holder()) as keyof typeof agents;
      await alterRole(role, 9);
      await waitFor(async () => (await connectionLimit(role)) === 1, 'the drift to be reverted');
      await waitFor(async () => (await updates()).length === 1, 'the revert to be recorded');
      expect((await updates()).map((e) => e.actor)).toEqual([first]);

      agents[first].child.kill('SIGKILL');
      await agents[first].exited;
      const survivor = first === 'replica-one' ? 'replica-two' : 'replica-one';
      await alterRole(role, 8);
      await waitFor(async () => (await connectionLimit(role)) === 1, 'the survivor to revert the drift', 15_000);
      await waitFor(async () => (await updates()).length === 2, 'the second revert to be recorded');
      expect((await updates()).map((e) => e.actor)).toEqual([first, survivor]);
      expect(await holder()).toBe(survivor);
      // Never two mutations of one drift: every intent was resolved exactly once.
      const resolved = (await auditOf(dir, base, `PostgresRole/${role}`)).filter((e) => e.action === 'update' && e.outcome !== 'pending');
      expect(resolved).toHaveLength(2);
    } finally {
      for (const agent of [one, two]) if (agent.child.exitCode === null && agent.child.signalCode === null) expect(await agent.stop()).toBe(0);
    }
    await runCli(['-C', dir, 'destroy', '--auto-approve'], { env: base });
  });
});
