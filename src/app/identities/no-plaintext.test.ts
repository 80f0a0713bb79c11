import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openStoreWithClient } from '../../store/open-store.js';
import { uniqueName } from '../../../test/fixtures.js';
import { instanceYaml, makeProject, projectEnv, runCli, writeProject, type CliResult } from '../../../test/project.js';
import { agentYaml, billingDatabase, parseEnvFile, sql } from '../../../test/identities.js';
import { filesUnder } from '../../../test/files.js';

describe('no plaintext anywhere Steward writes', () => {
  it('runs the whole flow (init, apply, run, secrets, rotation, rekey, decommission) and finds no secret in files, tables or output', { timeout: 300_000 }, async () => {
    const agent = `scan-${uniqueName('a').slice(2)}`.replace(/_/g, '-');
    const database = uniqueName('scandb');
    const legacy = uniqueName('legacy');
    await billingDatabase(database);
    const secretsYaml = `apiVersion: steward.dev/v1alpha1
kind: Secret
metadata: { name: stripe-key }
spec: { type: external }
---
apiVersion: steward.dev/v1alpha1
kind: Secret
metadata: { name: legacy-password }
spec: { length: 40, classes: [lower, upper, digits, symbols] }
---
apiVersion: steward.dev/v1alpha1
kind: PostgresRole
metadata: { name: ${legacy}, annotations: { steward.dev/owner: ops@example.com, steward.dev/rotation: manual } }
spec:
  instance: main
  login: true
  connectionLimit: 2
  comment: a service that still uses one password
  password: { secretRef: legacy-password }
`;
    const dir = await makeProject({ 'instance.yaml': instanceYaml(), 'agent.yaml': agentYaml(agent, database, { grace: '0s' }), 'secrets.yaml': secretsYaml });
    const env = projectEnv();
    const outputs: CliResult[] = [];
    const plaintexts = new Set<string>();
    const envFile = join(dir, `.run/${agent}.env`);
    const cli = async (args: readonly string[], options: { readonly input?: string; readonly reveals?: boolean } = {}): Promise<CliResult> => {
      const result = await runCli(['-C', dir, ...args], { env, ...(options.input === undefined ? {} : { input: options.input }) });
      // What a command is asked to reveal is not a leak; everything else it prints is scanned.
      if (options.reveals !== true) outputs.push(result);
      return result;
    };
    const collectDelivered = async (): Promise<Readonly<Record<string, string>>> => {
      const vars = parseEnvFile(await readFile(envFile, 'utf8'));
      plaintexts.add(vars['PGPASSWORD']!);
      return vars;
    };

    const init = await cli(['init']);
    expect(init.code).toBe(0);
    expect((await stat(join(dir, '.steward/master.key'))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(dir, '.steward/.gitignore'), 'utf8')).toBe('*\n');

    const planned = await cli(['plan']);
    expect(planned.code, planned.stderr).toBe(0);
    const notes = async (): Promise<readonly string[]> => {
      const plan = await cli(['plan', '--json']);
      return (JSON.parse(plan.stdout) as { diagnostics: { summary: string }[] }).diagnostics.map((d) => d.summary);
    };
    expect(await notes()).toContain(`PostgresRole/${legacy}: its password will be set from Secret/legacy-password when applied`);
    const applied = await cli(['apply', '--auto-approve', '--json']);
    expect(applied.code).toBe(0);
    const appliedDoc = JSON.parse(applied.stdout) as { diagnostics: { severity: string; summary: string }[]; identities: { secretsCreated: string[]; events: { type: string; agent: string }[] } };
    // What the apply did beyond the plan's changes is part of the document.
    expect(appliedDoc.identities.secretsCreated).toEqual(['legacy-password']);
    expect(appliedDoc.identities.events.filter((e) => e.agent === agent).map((e) => e.type)).toContain('rotated');
    const warnings = appliedDoc.diagnostics;
    expect(warnings).toContainEqual(expect.objectContaining({ severity: 'warning', summary: 'Secret/stripe-key has no value yet: set it with `steward secret set stripe-key` (reads stdin)' }));
    await collectDelivered();

    // The role's password came from the generated Secret: it logs in with it.
    const legacyValue = (await cli(['secret', 'get', 'legacy-password', '--reveal'], { reveals: true })).stdout.trim();
    plaintexts.add(legacyValue);
    const { host, port } = (await import('vitest')).inject('pg');
    const legacyClient = new pg.Client({ host, port, user: legacy, password: legacyValue, database: 'postgres' });
    await legacyClient.connect();
    await legacyClient.end();

    // An external secret is read from stdin, never from an argument; reads need a terminal or --reveal.
    const stripe = 'sk_live_51DoNotLeakThisValue0123456789';
    plaintexts.add(stripe);
    const set = await cli(['secret', 'set', 'stripe-key'], { input: `${stripe}\n` });
    expect(set.code).toBe(0);
    expect(set.stdout).toMatch(/Secret\/stripe-key version 1 is current: \(sensitive\) hmac:[0-9a-f]{24}/);
    const refused = await cli(['secret', 'get', 'stripe-key']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('stdout is not a terminal');
    const revealed = await cli(['secret', 'get', 'stripe-key', '--reveal'], { reveals: true });
    expect(revealed.stdout, revealed.stderr).toBe(`${stripe}\n`);

    // steward run injects the connection settings; the child sees them, nothing is written.
    const run = await cli(['run', '--agent', agent, '--', process.execPath, '-e', 'process.stdout.write(process.env.PGUSER + " " + process.env.PGPASSWORD.length + " " + process.env.DATABASE_URL.startsWith("postgresql://"))'], { reveals: false });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${agent.replace(/-/g, '_')}_a 32 true`);

    for (let i = 0; i < 3; i++) {
      const rotated = await cli(['rotate', agent, '--wait']);
      expect(rotated.code).toBe(0);
      await collectDelivered();
    }
    expect((await cli(['secret', 'list', '--json'])).code).toBe(0);
    // Nothing changed: the role's password is not sent again.
    expect((await cli(['apply', '--auto-approve'])).code).toBe(0);
    expect((await notes()).filter((n) => n.includes(legacy))).toEqual([]);
    expect((await cli(['audit', 'list'])).code).toBe(0);
    expect((await cli(['secret', 'rekey'])).code).toBe(0);
    expect((await cli(['secret', 'get', 'stripe-key', '--reveal'], { reveals: true })).stdout).toBe(`${stripe}\n`);

    // Decommission everything: the agent and the secrets leave the manifests.
    await writeProject(dir, { 'agent.yaml': '', 'secrets.yaml': '' });
    expect(await notes()).toEqual(
      expect.arrayContaining([
        `Agent/${agent} was removed: once its roles are gone, applying destroys Secret/${agent}.credentials, deletes .run/${agent}.env and forgets it`,
        'Secret/stripe-key was removed from the manifests: applying destroys every version of it',
      ]),
    );
    const removed = await cli(['apply', '--auto-approve']);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain(`Agent/${agent}: decommissioned`);
    expect(removed.stdout).toContain('Secret/stripe-key: every version destroyed');
    expect(await sql('SELECT rolname FROM pg_roles WHERE rolname LIKE $1 OR rolname = $2', [`${agent.replace(/-/g, '_')}%`, legacy])).toEqual([]);

    expect(plaintexts.size).toBe(6);
    const leaks: string[] = [];
    const scan = (where: string, text: string): void => {
      for (const secret of plaintexts) if (text.includes(secret)) leaks.push(`${where} holds a plaintext secret`);
    };
    outputs.forEach((o, i) => {
      scan(`stdout of command ${i}`, o.stdout);
      scan(`stderr of command ${i}`, o.stderr);
    });
    // Every file Steward wrote, the embedded store's data and write-ahead log included (as bytes).
    // The delivered env file is the one place a credential is meant to be; it is gone by now.
    for (const file of await filesUnder(dir)) scan(file, (await readFile(file)).toString('latin1'));
    const opened = await openStoreWithClient({ projectDir: dir, command: 'test' });
    try {
      const tables = await opened.client.query<{ t: string }>(`SELECT format('%I.%I', schemaname, tablename) AS t FROM pg_tables WHERE schemaname = 'steward'`);
      expect(tables.length).toBeGreaterThan(5);
      for (const { t } of tables) {
        const rows = await opened.client.query<{ r: string }>(`SELECT row_to_json(x)::text AS r FROM ${t} x`);
        scan(`table ${t}`, rows.map((r) => r.r).join('\n'));
      }
      const audit = (await opened.store.audit.list()).map((e) => e.action);
      expect(audit).toContain('secret.read');
      expect(audit).toContain('secret.rekey');
      expect(audit).toContain('agent.decommission.done');
      expect(audit.filter((a) => a === 'role.password.set')).toHaveLength(1);
    } finally {
      await opened.store.close();
    }
    expect(leaks).toEqual([]);
    await sql(`DROP DATABASE ${database}`);
  });
});
