import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { runApply, runPlan } from '../reconcile.js';
import { runRotate } from './commands.js';
import { uniqueName } from '../../../test/fixtures.js';
import { writeProject } from '../../../test/project.js';
import { agentProject, parseEnvFile, sql } from '../../../test/identities.js';

const approve = { confirm: async () => true };

async function loginWith(vars: Readonly<Record<string, string>>): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: vars['DATABASE_URL'] });
  // A session ended by the server (decommissioning) shows as a failed query, not a crash.
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

describe('Agent', () => {
  it('provisions least privilege, delivers a working credential, rotates and decommissions without a trace', async () => {
    const agent = `bb-${uniqueName('a').slice(2)}`.replace(/_/g, '-');
    const group = agent.replace(/-/g, '_');
    const database = uniqueName('agentdb');
    const project = await agentProject(agent, database, { grace: '0s' });

    const plan = await runPlan(project.options);
    const children = plan.plan.changes.filter((c) => c.desired?.metadata.annotations['steward.dev/parent'] === `Agent/${agent}`);
    expect(children.map((c) => c.address).sort()).toEqual(
      [
        `PostgresGrant/${agent}.connect`,
        `PostgresGrant/${agent}.grant-0`,
        `PostgresGrant/${agent}.usage-billing`,
        `PostgresRole/${group}`,
        `PostgresRole/${group}_a`,
        `PostgresRole/${group}_b`,
        `PostgresRoleMembership/${agent}.login-a`,
        `PostgresRoleMembership/${agent}.login-b`,
      ].sort(),
    );
    expect(plan.policy.denied).toEqual([]);

    const applied = await runApply(project.options, approve);
    expect(applied.apply?.ok).toBe(true);
    expect(applied.identities?.problems).toEqual([]);
    expect(applied.identities?.events.map((e) => e.type)).toEqual(['rotated', 'delivered']);

    const roles = await sql(
      `SELECT rolname, rolcanlogin, rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls, rolconnlimit
         FROM pg_roles WHERE rolname = ANY($1::text[]) ORDER BY 1`,
      [[group, `${group}_a`, `${group}_b`]],
    );
    expect(roles).toEqual([
      { rolname: group, rolcanlogin: false, rolsuper: false, rolcreaterole: false, rolcreatedb: false, rolreplication: false, rolbypassrls: false, rolconnlimit: -1 },
      { rolname: `${group}_a`, rolcanlogin: true, rolsuper: false, rolcreaterole: false, rolcreatedb: false, rolreplication: false, rolbypassrls: false, rolconnlimit: 5 },
      { rolname: `${group}_b`, rolcanlogin: true, rolsuper: false, rolcreaterole: false, rolcreatedb: false, rolreplication: false, rolbypassrls: false, rolconnlimit: 5 },
    ]);

    const envFile = join(project.dir, `.run/${agent}.env`);
    expect((await stat(envFile)).mode & 0o777).toBe(0o600);
    const vars = parseEnvFile(await readFile(envFile, 'utf8'));
    expect(vars['PGUSER']).toBe(`${group}_a`);
    expect(vars['PGDATABASE']).toBe(database);
    const client = await loginWith(vars);
    try {
      expect((await client.query('SELECT amount FROM billing.invoices WHERE id = 1')).rows).toEqual([{ amount: '10' }]);
      await client.query('INSERT INTO billing.invoices VALUES (2, 20)');
      await expect(client.query('SELECT * FROM billing.payouts')).rejects.toThrow(/permission denied/);
      await expect(client.query('DELETE FROM billing.invoices')).rejects.toThrow(/permission denied/);
      await expect(client.query('CREATE TABLE billing.mine (id int)')).rejects.toThrow(/permission denied/);
    } finally {
      await client.end();
    }
    expect((await runPlan(project.options)).plan.summary).toMatchObject({ create: 0, update: 0, delete: 0, replace: 0 });

    // Just provisioned: not due for 24h, so --due leaves it alone.
    expect(await runRotate(project.options, { due: true, wait: false })).toMatchObject({ events: [], notDue: [agent] });

    // A rotation moves to the other login; the session opened before it is not cut.
    const before = await loginWith(vars);
    const rotated = await runRotate(project.options, { agent, due: false, wait: true });
    expect(rotated.events.map((e) => e.type)).toEqual(['rotated', 'delivered', 'invalidated']);
    const after = parseEnvFile(await readFile(envFile, 'utf8'));
    expect(after['PGUSER']).toBe(`${group}_b`);
    expect(after['PGPASSWORD']).not.toBe(vars['PGPASSWORD']);
    expect((await before.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
    await expect(loginWith(vars)).rejects.toThrow(/password authentication failed/);
    const fresh = await loginWith(after);
    await fresh.end();

    // Removing the agent decommissions it: roles, grants, sessions, secrets and the file go.
    await writeProject(project.dir, { 'agent.yaml': '' });
    const removed = await runApply(project.options, approve);
    expect(removed.apply?.ok).toBe(true);
    expect(removed.identities?.decommissioned).toEqual([agent]);
    await expect(before.query('SELECT 1')).rejects.toThrow();
    await before.end().catch(() => undefined);
    expect(await sql('SELECT rolname FROM pg_roles WHERE rolname LIKE $1', [`${group}%`])).toEqual([]);
    expect(await sql('SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename LIKE $1', [`${group}%`])).toEqual([{ n: 0 }]);
    await expect(stat(envFile)).rejects.toThrow(/ENOENT/);
    const { withStore } = await import('../project.js');
    await withStore(project.options, async (store) => {
      expect(await store.secrets.list()).toEqual([]);
      expect(await store.identities.list()).toEqual([]);
      const actions = (await store.audit.list()).map((e) => e.action).filter((a) => a.startsWith('agent.decommission'));
      expect(actions).toEqual([
        'agent.decommission.revoke',
        'agent.decommission.terminate-sessions',
        'agent.decommission.drop-roles',
        'agent.decommission.destroy-secrets',
        'agent.decommission.delete-files',
        'agent.decommission.done',
      ]);
    });
    await sql(`DROP DATABASE ${database}`);
  });
});
