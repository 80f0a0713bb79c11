import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { uniqueName } from './fixtures.js';
import { runCli, waitFor, writeProject } from './project.js';
import { auditOf, autonomyYaml, startAgent } from './agent-support.js';
import { agentProject, parseEnvFile, serverAddress, sql } from './identities.js';

const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

async function logsIn(env: Readonly<Record<string, string>>): Promise<boolean> {
  const { host, port } = serverAddress();
  const client = new pg.Client({ host, port, user: env['PGUSER'], password: env['PGPASSWORD'], database: env['PGDATABASE'] });
  try {
    await client.connect();
    await client.query('SELECT 1 FROM billing.invoices LIMIT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

describe('agent identities under the running agent', () => {
  it('provisions an Agent declared while it runs (credential delivered and working), and decommissions it when removed', { timeout: 180_000 }, async () => {
    const name = `live-${uniqueName('a').slice(2)}`.replace(/_/g, '-');
    const project = await agentProject(name, uniqueName('livedb'));
    const role = name.replace(/-/g, '_');
    await writeProject(project.dir, { 'autonomy.yaml': autonomyYaml('default: auto\nscopes:\n  - { scope: project, allowDestructive: true }') });
    const envFile = join(project.dir, `.run/${name}.env`);

    const agent = await startAgent(project.dir, project.env);
    try {
      // The cycle creates the roles and grants; the rotation check that follows gives the agent its credential.
      await waitFor(async () => (await exists(envFile)) && logsIn(parseEnvFile(await readFile(envFile, 'utf8'))), 'the delivered credential to log in', 60_000);
      expect(parseEnvFile(await readFile(envFile, 'utf8'))['PGUSER']).toBe(`${role}_a`);

      // Removed from the manifests: the (allowed) destructive plan drops its roles, then its secret and file go.
      await writeProject(project.dir, { 'agent.yaml': '' });
      await waitFor(async () => !(await exists(envFile)), 'the delivered file to be deleted', 60_000);
      expect(await sql('SELECT rolname FROM pg_roles WHERE rolname LIKE $1', [`${role}%`])).toEqual([]);
    } finally {
      expect(await agent.stop()).toBe(0);
    }
    const actions = (await auditOf(project.dir, project.env, `Agent/${name}`)).map((e) => e.action);
    expect(actions).toContain('rotate.publish');
    expect(actions.filter((a) => a.startsWith('agent.decommission.')).length).toBeGreaterThan(0);
    const secrets = await runCli(['-C', project.dir, 'secret', 'list', '--json'], { env: project.env });
    expect(secrets.code, secrets.stderr).toBe(0);
    expect(JSON.stringify(JSON.parse(secrets.stdout))).not.toContain(`${name}.credentials`);
  });

  it('holds a rotation back while a pause covers the agent, and rotates once it is resumed', { timeout: 120_000 }, async () => {
    const name = `held-${uniqueName('a').slice(2)}`.replace(/_/g, '-');
    const project = await agentProject(name, uniqueName('helddb'));
    const cli = (args: readonly string[]): ReturnType<typeof runCli> => runCli(['-C', project.dir, ...args], { env: project.env });
    const applied = await cli(['apply', '--auto-approve']);
    expect(applied.code, applied.stderr).toBe(0);
    const envFile = join(project.dir, `.run/${name}.env`);
    const before = parseEnvFile(await readFile(envFile, 'utf8'))['PGUSER'];

    expect((await cli(['pause', '--scope', `resource:Agent/${name}`, '--reason', 'incident 42'])).code).toBe(0);
    const held = await cli(['rotate', name]);
    expect(held.code).toBe(1);
    expect(held.stderr).toContain(`Agent/${name}: not rotated: paused (scope resource:Agent/${name})`);
    expect(held.stderr).toContain('incident 42');
    expect(parseEnvFile(await readFile(envFile, 'utf8'))['PGUSER']).toBe(before);

    expect((await cli(['resume', '--scope', `resource:Agent/${name}`])).code).toBe(0);
    const rotated = await cli(['rotate', name]);
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(parseEnvFile(await readFile(envFile, 'utf8'))['PGUSER']).not.toBe(before);
  });
});
