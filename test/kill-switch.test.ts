import { describe, expect, inject, it } from 'vitest';
import { BATCH_SIZE } from '../src/engine/apply.js';
import { uniqueName } from './fixtures.js';
import { adminClient, instanceYaml, makeProject, projectEnv, roleYaml, runCli, startCli, waitFor } from './project.js';
import { blockRole, stewardIsWaiting } from './role-locks.js';

/** Every intent recorded: rows of their own, and the members of batch groups not moved to rows. */
const RECORDED_INTENTS = `SELECT address, created_at FROM steward.intents
  UNION ALL
  SELECT m.address, g.created_at FROM steward.intent_groups g CROSS JOIN LATERAL steward.intent_group_members(g.id) AS m WHERE g.status <> 'split'`;

/** Roles that exist with connection limit 1 and are declared with 2: one update each. */
async function rolesToUpdate(count: number): Promise<{ dir: string; roles: readonly string[]; drop(): Promise<void> }> {
  const prefix = uniqueName('ks');
  // Names of one width, so their order (the plan's) is the numbers' order.
  const roles = Array.from({ length: count }, (_, i) => `${prefix}_${String(i).padStart(String(count - 1).length, '0')}`);
  const admin = await adminClient();
  try {
    for (const role of roles) await admin.query(`CREATE ROLE ${role} CONNECTION LIMIT 1`);
  } finally {
    await admin.end();
  }
  const dir = await makeProject({ 'instance.yaml': instanceYaml(), 'roles.yaml': roles.map((r) => roleYaml(r, 'connectionLimit: 2')).join('') });
  return {
    dir,
    roles,
    drop: async () => {
      const client = await adminClient();
      try {
        for (const role of roles) await client.query(`DROP ROLE IF EXISTS ${role}`);
      } finally {
        await client.end();
      }
    },
  };
}

async function stateDatabase(): Promise<{ url: string; query<T extends object>(sql: string): Promise<T[]>; close(): Promise<void> }> {
  const name = uniqueName('state');
  const admin = await adminClient();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const { host, port, user, password } = inject('pg');
  const client = await adminClient(name);
  return {
    url: `postgres://${user}:${encodeURIComponent(password)}@${host}:${port}/${name}`,
    query: async <T extends object>(sql: string) => (await client.query(sql)).rows as T[],
    close: () => client.end(),
  };
}

describe('kill switch across processes', () => {
  it('on a PostgreSQL store, a pause from another process holds back every mutation started more than 1 s after it commits', async () => {
    // Apply sends creates and updates of one kind in batches of BATCH_SIZE: two and a quarter
    // batches' worth of updates are three batches, run one after the other at parallelism 1.
    const count = 2 * BATCH_SIZE + BATCH_SIZE / 4;
    const { dir, roles, drop } = await rolesToUpdate(count);
    const state = await stateDatabase();
    const env = projectEnv({ STEWARD_DATABASE_URL: state.url });
    // A role of the second batch is held by an open transaction, so that batch waits and the apply
    // cannot finish before the pause lands; the first batch is done by then, the third not started.
    const blocked = roles[BATCH_SIZE + BATCH_SIZE / 2]!;
    const block = await blockRole(blocked);
    const apply = startCli(['-C', dir, '--parallelism', '1', 'apply', '--auto-approve'], env);
    let stdout = '';
    apply.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const applied = new Promise<number | null>((r) => apply.on('close', (code) => r(code)));
    try {
      const started = async (): Promise<number> =>
        Number((await state.query<{ n: string }>(`SELECT count(*) AS n FROM (${RECORDED_INTENTS}) i`))[0]?.n ?? 0);
      await waitFor(async () => (await started().catch(() => 0)) > BATCH_SIZE, 'the apply to be in its second batch');
      const paused = await runCli(['-C', dir, 'pause', '--reason', 'incident 42: stop everything'], { env });
      expect(paused.stderr).toBe('');
      expect(paused.code).toBe(0);
      expect(paused.stdout).toContain('Paused: project (incident 42: stop everything)');
    } finally {
      await block.release();
    }
    expect(await applied).toBe(1);

    const [pause] = await state.query<{ created_at: Date }>('SELECT created_at FROM steward.pauses');
    const intents = await state.query<{ address: string; created_at: Date }>(`${RECORDED_INTENTS} ORDER BY created_at`);
    const deadline = pause!.created_at.getTime() + 1000;
    const tooLate = intents.filter((i) => i.created_at.getTime() > deadline);
    expect(tooLate).toEqual([]);
    expect(intents.map((i) => i.address)).toContain(`PostgresRole/${blocked}`);
    expect(intents.length).toBeLessThan(count);
    // The run ends reporting the changes it held back, each with the pause's scope, actor and reason.
    const heldLines = stdout.split('\n').filter((l) => l.includes('held back: paused (scope project) by test-runner: incident 42: stop everything'));
    expect(heldLines.length).toBe(count - intents.length);
    expect(stdout).toMatch(/Apply failed\. .* \d+ not started/);

    const audit = await state.query<{ action: string; actor: string }>(`SELECT action, actor FROM steward.audit_log WHERE action IN ('pause', 'resume') ORDER BY seq`);
    expect(audit).toEqual([{ action: 'pause', actor: 'test-runner' }]);

    const plan = await runCli(['-C', dir, 'plan'], { env });
    expect(plan.stdout).toContain(`Paused: project by test-runner since`);
    expect(plan.stdout).toContain(`${count - intents.length} planned change(s) will be held back; lift with \`steward resume\``);
    const list = JSON.parse((await runCli(['-C', dir, 'pause', '--list', '--json'], { env })).stdout) as { scope: string; reason: string }[];
    expect(list.map((p) => [p.scope, p.reason])).toEqual([['project', 'incident 42: stop everything']]);

    const resumed = await runCli(['-C', dir, 'resume'], { env });
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain('Resumed: project');
    const again = await runCli(['-C', dir, 'apply', '--auto-approve'], { env });
    expect(again.stderr).not.toMatch(/error/i);
    expect(again.code).toBe(0);
    expect((await runCli(['-C', dir, 'plan', '--detailed-exitcode'], { env })).code).toBe(0);
    expect((await runCli(['-C', dir, 'resume'], { env })).code).toBe(1);

    await state.close();
    await drop();
  });

  it('pauses only the scope named: other resources go ahead', async () => {
    const { dir, roles, drop } = await rolesToUpdate(3);
    const env = projectEnv();
    const paused = await runCli(['-C', dir, 'pause', '--scope', `resource:PostgresRole/${roles[1]}`, '--reason', 'hands off'], { env });
    expect(paused.code).toBe(0);
    const plan = JSON.parse((await runCli(['-C', dir, 'plan', '--json'], { env })).stdout) as { paused: unknown };
    expect(plan.paused).toEqual([
      { scope: `resource:PostgresRole/${roles[1]}`, reason: 'hands off', actor: 'test-runner', since: expect.any(String), heldBack: [`PostgresRole/${roles[1]}`] },
    ]);
    const apply = await runCli(['-C', dir, 'apply', '--auto-approve'], { env });
    expect(apply.code).toBe(1);
    expect(apply.stdout).toContain(`PostgresRole/${roles[1]}: skipped (held back: paused (scope resource:PostgresRole/${roles[1]}) by test-runner: hands off)`);
    expect(apply.stdout).toContain('2 updated, 0 replaced, 0 deleted; 0 failed, 1 not started');
    expect((await runCli(['-C', dir, 'resume'], { env })).code).toBe(1);
    expect((await runCli(['-C', dir, 'resume', '--scope', `resource:PostgresRole/${roles[1]}`], { env })).code).toBe(0);
    expect((await runCli(['-C', dir, 'apply', '--auto-approve'], { env })).code).toBe(0);
    await drop();
  });

  it('refuses a pause without a reason or with a bad scope, naming the flag', async () => {
    const dir = await makeProject({ 'instance.yaml': instanceYaml() });
    const noReason = await runCli(['-C', dir, 'pause']);
    expect(noReason.code).toBe(1);
    expect(noReason.stderr).toContain('--reason is required');
    const badScope = await runCli(['-C', dir, 'pause', '--scope', 'team=x', '--reason', 'r']);
    expect(badScope.code).toBe(1);
    expect(badScope.stderr).toContain('--scope: "team=x" is not a scope');
  });

  it('on the embedded store, a pause from a second process fails naming the process holding the store', async () => {
    const { dir, roles, drop } = await rolesToUpdate(1);
    const role = roles[0]!;
    const block = await blockRole(role);
    const apply = startCli(['-C', dir, 'apply', '--auto-approve']);
    const applied = new Promise<number | null>((r) => apply.on('close', (code) => r(code)));
    try {
      await waitFor(() => stewardIsWaiting(role), 'the apply to wait on the role');
      const paused = await runCli(['-C', dir, 'pause', '--reason', 'too late']);
      expect(paused.code).toBe(1);
      expect(paused.stderr).toContain(`is in use by pid ${apply.pid} (steward apply`);
    } finally {
      await block.release();
    }
    expect(await applied).toBe(0);
    await drop();
  });
});
