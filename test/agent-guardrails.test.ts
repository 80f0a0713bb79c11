import { describe, expect, it } from 'vitest';
import { uniqueName } from './fixtures.js';
import { adminClient, makeProject, projectEnv, roleYaml, runCli, waitFor, writeProject } from './project.js';
import { auditOf, autonomyYaml, connectionLimit, instanceIn, sqlIn, startAgent, storeUrl, suiteDatabase } from './agent-support.js';

const suite = suiteDatabase('guarddb');

async function pgStore(): Promise<{ readonly env: NodeJS.ProcessEnv; readonly db: string }> {
  const db = await suite.storeDatabase('guardstore');
  return { env: projectEnv({ STEWARD_DATABASE_URL: storeUrl(db) }), db };
}

async function alter(statements: string): Promise<void> {
  const admin = await adminClient();
  await admin.query(statements);
  await admin.end();
}

async function applied(dir: string, env: NodeJS.ProcessEnv): Promise<void> {
  const result = await runCli(['-C', dir, 'apply', '--auto-approve'], { env });
  expect(result.code, result.stderr).toBe(0);
}

const driftDecisions = async (dir: string, env: NodeJS.ProcessEnv, address: string): Promise<string[]> =>
  (await auditOf(dir, env, address)).filter((e) => e.action === 'drift.detected').map((e) => String(e.detail?.['why'] ?? e.detail?.['decision']));

describe('steward agent within its guardrails', () => {
  it('stops reverting a resource two writers fight over once the flap budget is spent, and resumes when its manifest changes', async () => {
    const role = uniqueName('fight');
    const dir = await makeProject({
      'instance.yaml': instanceIn(suite.name),
      'roles.yaml': roleYaml(role, 'connectionLimit: 1'),
      'autonomy.yaml': autonomyYaml('default: auto\nguardrails:\n  flapping: { maxReverts: 2, window: 10m }'),
    });
    const { env } = await pgStore();
    await applied(dir, env);
    const agent = await startAgent(dir, env);
    try {
      for (const limit of [7, 8]) {
        await alter(`ALTER ROLE ${role} CONNECTION LIMIT ${limit}`);
        await waitFor(async () => (await connectionLimit(role)) === 1, `revert of connection limit ${limit}`);
      }
      await alter(`ALTER ROLE ${role} CONNECTION LIMIT 9`);
      await waitFor(async () => (await driftDecisions(dir, env, `PostgresRole/${role}`)).some((w) => w.startsWith('conflicted')), 'the resource to be marked conflicted');
      expect(await connectionLimit(role)).toBe(9);
      expect(agent.log()).toContain('"alert":"conflicted"');
      const updates = (await auditOf(dir, env, `PostgresRole/${role}`)).filter((e) => e.action === 'update' && e.outcome === 'succeeded');
      expect(updates).toHaveLength(2); // the two reverts (the first apply created it)

      // A manifest change is a decision about the fight: the resource is reconciled again.
      await writeProject(dir, { 'roles.yaml': roleYaml(role, 'connectionLimit: 2') });
      await waitFor(async () => (await connectionLimit(role)) === 2, 'the changed manifest to be applied');
    } finally {
      expect(await agent.stop()).toBe(0);
    }
    await runCli(['-C', dir, 'destroy', '--auto-approve'], { env });
  });

  it('holds back every mutation while paused, keeps reporting drift, and reverts after resume', async () => {
    const role = uniqueName('paused');
    const dir = await makeProject({ 'instance.yaml': instanceIn(suite.name), 'roles.yaml': roleYaml(role, 'connectionLimit: 1'), 'autonomy.yaml': autonomyYaml('default: auto') });
    const { env } = await pgStore();
    await applied(dir, env);
    const agent = await startAgent(dir, env);
    try {
      const paused = await runCli(['-C', dir, 'pause', '--scope', `resource:PostgresRole/${role}`, '--reason', 'maintenance'], { env });
      expect(paused.code, paused.stderr).toBe(0);
      await alter(`ALTER ROLE ${role} CONNECTION LIMIT 9`);
      await waitFor(async () => agent.log().includes('a change was held back'), 'the revert to be held back');
      expect(agent.log()).toMatch(/held back: paused \(scope resource:PostgresRole\/\w+\) by [^:]+: maintenance/);
      expect(await driftDecisions(dir, env, `PostgresRole/${role}`)).toHaveLength(1);
      expect(await connectionLimit(role)).toBe(9);
      expect((await auditOf(dir, env, `PostgresRole/${role}`)).filter((e) => e.action === 'update')).toHaveLength(0);

      expect((await runCli(['-C', dir, 'resume', '--scope', `resource:PostgresRole/${role}`], { env })).code).toBe(0);
      await waitFor(async () => (await connectionLimit(role)) === 1, 'the revert after resume', 10_000);
    } finally {
      expect(await agent.stop()).toBe(0);
    }
    await runCli(['-C', dir, 'destroy', '--auto-approve'], { env });
  });

  it('changes at most the blast radius per cycle, then pauses the project; and rate-limits reverts of one resource', async () => {
    const a = uniqueName('blast');
    const b = uniqueName('blast');
    const dir = await makeProject({
      'instance.yaml': instanceIn(suite.name),
      'roles.yaml': roleYaml(a, 'connectionLimit: 1') + roleYaml(b, 'connectionLimit: 1'),
      'autonomy.yaml': autonomyYaml('default: auto\nguardrails:\n  blastRadius: { maxPerCycle: 1 }\n  rateLimit: { perResource: { capacity: 1, refillPerSecond: 0.001 } }'),
    });
    const { env, db } = await pgStore();
    await applied(dir, env);
    const agent = await startAgent(dir, env);
    try {
      // Both in one transaction: one fingerprint change, one cycle with two changes.
      await alter(`BEGIN; ALTER ROLE ${a} CONNECTION LIMIT 9; ALTER ROLE ${b} CONNECTION LIMIT 9; COMMIT;`);
      await waitFor(async () => agent.log().includes('blast radius exceeded'), 'the blast radius to be exceeded');
      const limits = async (): Promise<string> => String([await connectionLimit(a), await connectionLimit(b)].sort());
      await waitFor(async () => (await limits()) === '1,9', 'exactly one of the two to be reverted');
      expect(agent.log()).toContain('"alert":"blast-radius"');
      const pauses = await sqlIn(db, `SELECT scope, reason FROM steward.pauses WHERE resumed_at IS NULL`);
      expect(pauses).toEqual([{ scope: 'project', reason: expect.stringContaining('blast radius exceeded') }]);
      expect((await runCli(['-C', dir, 'resume'], { env })).code).toBe(0);
      await waitFor(async () => (await connectionLimit(a)) === 1 && (await connectionLimit(b)) === 1, 'the held-back revert after resume', 10_000);

      // Each role has spent its one token: the next drift of either is held back by the rate limit.
      await alter(`ALTER ROLE ${a} CONNECTION LIMIT 5`);
      await waitFor(async () => agent.log().includes('"reason":"held back: rate limited"'), 'the rate limit to hold the revert back');
      expect(await connectionLimit(a)).toBe(5);
    } finally {
      expect(await agent.stop()).toBe(0);
    }
    await runCli(['-C', dir, 'destroy', '--auto-approve'], { env });
  });
});

describe('steward agent: failures', () => {
  it('opens the circuit breaker on failures, holds back the next change, recovers with a probe, and retries a terminal failure only once its resource changes', async () => {
    const one = uniqueName('brk');
    const two = uniqueName('brk');
    const schema = uniqueName('brk');
    await sqlIn(suite.name, `CREATE SCHEMA ${schema}; CREATE TABLE ${schema}.items (id int)`);
    const grant = (name: string, role: string): string =>
      `---\n${JSON.stringify({ apiVersion: 'steward.dev/v1alpha1', kind: 'PostgresGrant', metadata: { name }, spec: { instance: 'main', grantee: role, privileges: ['SELECT'], on: { type: 'table', database: suite.name, schema, names: ['items'] } } })}\n`;
    const dir = await makeProject({
      'instance.yaml': instanceIn(suite.name),
      'roles.yaml': roleYaml(one, '') + roleYaml(two, ''),
      'grants.yaml': grant('one-read', one) + grant('two-read', two),
      'autonomy.yaml': autonomyYaml('default: auto\nguardrails:\n  breaker: { failureThreshold: 1, openFor: 2s }'),
    });
    const env = projectEnv();
    await applied(dir, env);
    const agent = await startAgent(dir, env, ['--metrics-port', '0']);
    const blocker = uniqueName('block');
    const can = async (role: string, privilege: string): Promise<boolean> =>
      (await sqlIn(suite.name, 'SELECT has_table_privilege($1, $2, $3) AS ok', [role, `${schema}.items`, privilege]))[0]?.['ok'] === true;
    const metric = async (): Promise<string> => {
      const port = /"port":(\d+),"msg":"serving metrics/.exec(agent.log())?.[1];
      return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    };
    try {
      // Every GRANT or REVOKE Steward sends in this database now fails at once.
      await sqlIn(
        suite.name,
        `CREATE FUNCTION ${schema}.refuse() RETURNS event_trigger LANGUAGE plpgsql AS $$
         BEGIN IF current_setting('application_name') = 'steward' THEN RAISE EXCEPTION 'refused by the test'; END IF; END $$;
         CREATE EVENT TRIGGER ${blocker} ON ddl_command_start WHEN TAG IN ('GRANT', 'REVOKE') EXECUTE FUNCTION ${schema}.refuse();`,
      );
      await sqlIn(suite.name, `GRANT DELETE ON ${schema}.items TO ${one}`);
      await waitFor(async () => agent.log().includes('refused by the test'), 'the revert to fail');
      await waitFor(async () => /steward_breaker_state\{instance="PostgresInstance\/main",state="open"\} 1/.test(await metric()), 'the breaker to open');

      await sqlIn(suite.name, `GRANT DELETE ON ${schema}.items TO ${two}`);
      await waitFor(async () => agent.log().includes('the circuit breaker of PostgresInstance/main is open'), 'the next change to be held back');
      await sqlIn(suite.name, `DROP EVENT TRIGGER ${blocker}`);
      await waitFor(async () => !(await can(two, 'DELETE')), 'the probe after the open period to revert it', 20_000);
      // The revert is visible on the server before the agent has verified and recorded it and closed the breaker.
      await waitFor(async () => /steward_breaker_state\{instance="PostgresInstance\/main",state="closed"\} 1/.test(await metric()), 'the breaker to close');
      // The first failure was terminal: the same change is not tried again...
      expect(await can(one, 'DELETE')).toBe(true);
      // ...until the resource changes.
      await sqlIn(suite.name, `GRANT TRUNCATE ON ${schema}.items TO ${one}`);
      await waitFor(async () => !(await can(one, 'DELETE')) && !(await can(one, 'TRUNCATE')), 'the changed resource to be reverted');
    } finally {
      await sqlIn(suite.name, `DROP EVENT TRIGGER IF EXISTS ${blocker}`);
      expect(await agent.stop()).toBe(0);
    }
    await runCli(['-C', dir, 'destroy', '--auto-approve'], { env });
  });
});
