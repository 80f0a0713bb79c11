import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { describe, expect, inject, it } from 'vitest';
import { kindNames } from '../src/kinds/index.js';
import { uniqueName } from './fixtures.js';
import { adminClient, databaseYaml, instanceYaml, makeProject, projectEnv, roleYaml, runCli, startCli, waitFor } from './project.js';
import { blockRole, stewardIsWaiting } from './role-locks.js';

const NO_STACK = /^\s+at .+:\d+:\d+\)?$/m;

describe('steward command line', () => {
  it('prints its version and help for every command', async () => {
    const version = await runCli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    for (const command of ['init', 'validate', 'plan', 'apply', 'destroy', 'state', 'state list', 'state show', 'state history', 'state rm', 'audit', 'audit list', 'audit verify', 'audit export', 'schema']) {
      const help = await runCli([...command.split(' '), '--help']);
      expect(help.code, command).toBe(0);
      expect(help.stdout, command).toContain('Usage: steward');
    }
    const unknown = await runCli(['frobnicate']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
  });

  it('prints a JSON Schema with one entry per kind', async () => {
    const result = await runCli(['schema']);
    expect(result.code).toBe(0);
    const schema = JSON.parse(result.stdout) as { oneOf: { properties: { kind: { const: string } } }[] };
    expect(schema.oneOf.map((s) => s.properties.kind.const).sort()).toEqual([...kindNames()].sort());
    expect(kindNames()).toEqual(expect.arrayContaining(['PostgresInstance', 'PostgresRole', 'PostgresDatabase', 'PostgresGrant', 'Policy']));
  });

  it('reports every bad input together, with file, line and field, exit 1 and no stack trace', async () => {
    const longName = 'x'.repeat(64);
    const dir = await makeProject({
      'instance.yaml': instanceYaml().replace(/password: .*/, 'password: hunter2-literal'),
      'broken.yaml': 'apiVersion: steward.dev/v1alpha1\nkind: PostgresRole\nmetadata: { name: a\n',
      'roles.yaml': [
        roleYaml('typo', 'conectionLimit: 3'),
        roleYaml('mistyped', 'connectionLimit: five'),
        roleYaml(longName, ''),
        roleYaml('dup', ''),
        roleYaml('dup', ''),
        roleYaml('cycle_a', 'dependsOn: [PostgresRole/cycle_b]'),
        roleYaml('cycle_b', 'dependsOn: [PostgresRole/cycle_a]'),
        roleYaml('dangling', 'dependsOn: [PostgresRole/nobody]'),
        '---\napiVersion: steward.dev/v1\nkind: PostgresRole\nmetadata: { name: oldapi }\nspec: { instance: main }\n',
        '---\napiVersion: steward.dev/v1alpha1\nkind: PostgresRoll\nmetadata: { name: k }\nspec: {}\n',
      ].join(''),
    });
    const result = await runCli(['-C', dir, 'validate']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    const err = result.stderr;
    for (const code of ['literal-secret', 'yaml-syntax', 'unknown-field', 'invalid-type', 'invalid-identifier', 'duplicate-name', 'dependency-cycle', 'dangling-reference', 'unknown-api-version', 'unknown-kind']) {
      expect(err, code).toMatch(new RegExp(`\\.yaml:\\d+:\\d+: error\\[${code}\\]`));
    }
    expect(err).toContain("Did you mean 'connectionLimit'?");
    expect(err).toContain('PostgresRole/cycle_a -> PostgresRole/cycle_b -> PostgresRole/cycle_a');
    expect(err).not.toContain('hunter2-literal');
    expect(err).not.toMatch(NO_STACK);

    const json = await runCli(['-C', dir, 'plan', '--json']);
    expect(json.code).toBe(1);
    const doc = JSON.parse(json.stdout) as { ok: boolean; diagnostics: { code: string; file: string; line: number }[] };
    expect(doc.ok).toBe(false);
    expect(doc.diagnostics.find((d) => d.code === 'unknown-field')).toMatchObject({ file: expect.stringContaining('roles.yaml'), line: expect.any(Number) });
  });

  it('validates policy rules with the manifests: a rule that does not compile is reported at its line', async () => {
    const dir = await makeProject({
      'instance.yaml': instanceYaml(),
      'policy.yaml': `apiVersion: steward.dev/v1alpha1
kind: Policy
metadata: { name: acme }
spec:
  rules:
    - id: ACME-1
      title: broken
      severity: low
      match: [PostgresRole]
      condition: 'resource.spec.login &&'
      message: broken
      enforcement: warn
      remediation: fix it
      compliance: []
`,
    });
    const result = await runCli(['-C', dir, 'validate']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/policy\.yaml:\d+:\d+: error/);
    expect(result.stderr).toContain('ACME-1');
    expect(result.stderr).not.toMatch(NO_STACK);
  });

  it('plans with detailed exit codes and JSON, asks before applying, applies, then plans nothing', async () => {
    const bot = uniqueName('cli_bot');
    const db = uniqueName('cli_db');
    const dir = await makeProject({ 'instance.yaml': instanceYaml(), 'resources.yaml': roleYaml(bot, 'login: true\nconnectionLimit: 4') + databaseYaml(db, `owner: ${bot}`) });

    const plan = await runCli(['-C', dir, 'plan', '--detailed-exitcode']);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain(`+ PostgresRole/${bot}`);
    expect(plan.stdout).toContain('Plan: 2 to create, 0 to update, 0 to replace, 0 to delete.');
    // The command line (bundled) keeps the parsed manifests for the next command: an entry per file, one for the project.
    expect((await readdir(join(dir, '.steward', 'cache', 'manifests'))).filter((n) => n.endsWith('.json'))).toHaveLength(3);

    const json = await runCli(['-C', dir, 'plan', '--json']);
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout) as { formatVersion: string; hasChanges: boolean; changes: { address: string; action: string }[]; statements: Record<string, number> };
    expect(doc).toMatchObject({ formatVersion: '1', hasChanges: true });
    expect(doc.changes.map((c) => [c.address, c.action])).toEqual([
      [`PostgresRole/${bot}`, 'create'],
      [`PostgresDatabase/${db}`, 'create'],
    ]);
    // Set-based refresh: one query per kind, whatever the number of resources.
    expect(doc.statements['PostgresInstance/main']).toBe(2);

    const declined = await runCli(['-C', dir, 'apply'], { input: 'no\n' });
    expect(declined.code).toBe(1);
    expect(declined.stderr).toContain('Apply cancelled');
    expect((await runCli(['-C', dir, 'plan', '--detailed-exitcode'])).code).toBe(2);

    const approved = await runCli(['-C', dir, 'apply'], { input: 'yes\n' });
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain('Apply complete! Resources: 2 created');

    const again = await runCli(['-C', dir, 'plan', '--detailed-exitcode']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('No changes.');

    const destroyed = await runCli(['-C', dir, 'destroy', '--auto-approve', '--json']);
    expect(destroyed.code).toBe(0);
    const result = JSON.parse(destroyed.stdout) as { ok: boolean; results: { address: string; status: string }[] };
    expect(result.ok).toBe(true);
    expect(result.results.map((r) => r.address)).toEqual([`PostgresDatabase/${db}`, `PostgresRole/${bot}`]);
  });

  it('fails with one clear line when a target cannot be reached or a variable is missing', async () => {
    const dir = await makeProject({ 'instance.yaml': instanceYaml().replace(/port: \d+/, 'port: 1'), 'roles.yaml': roleYaml(uniqueName('x'), '') });
    const unreachable = await runCli(['-C', dir, 'plan']);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/Error: PostgresInstance\/main: cannot connect to postgres@127\.0\.0\.1:1\/postgres/);
    expect(unreachable.stderr).not.toMatch(NO_STACK);

    const missing = await runCli(['-C', dir, 'plan'], { env: { ...projectEnv(), STEWARD_TEST_PGPASSWORD: '' } });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('environment variable STEWARD_TEST_PGPASSWORD (spec.password) is not set');
  });
});

describe('locking and crash safety', () => {
  it('lets only one process use the embedded store and names the holder to the other', async () => {
    const role = uniqueName('locked');
    const dir = await makeProject({ 'instance.yaml': instanceYaml(), 'roles.yaml': roleYaml(role, 'connectionLimit: 1') });
    expect((await runCli(['-C', dir, 'apply', '--auto-approve'])).code).toBe(0);
    await makeProject({});
    const { writeProject } = await import('./project.js');
    await writeProject(dir, { 'roles.yaml': roleYaml(role, 'connectionLimit: 2') });
    const block = await blockRole(role);
    const first = startCli(['-C', dir, 'apply', '--auto-approve']);
    const firstDone = new Promise<number | null>((r) => first.on('close', (code) => r(code)));
    try {
      await waitFor(() => stewardIsWaiting(role), 'the first apply to wait on the role');
      const second = await runCli(['-C', dir, 'plan', '--lock-timeout', '300ms']);
      expect(second.code).toBe(1);
      expect(second.stderr).toContain(`is in use by pid ${first.pid} (steward apply`);
      expect(second.stderr).toContain('waited 300 ms');
    } finally {
      await block.release();
    }
    expect(await firstDone).toBe(0);
    expect((await runCli(['-C', dir, 'plan', '--detailed-exitcode'])).code).toBe(0);
    await runCli(['-C', dir, 'destroy', '--auto-approve']);
  });

  it('with a PostgreSQL store, lets plans run alongside an apply but makes a second apply wait and name the holder', async () => {
    const role = uniqueName('pglocked');
    const stateDb = uniqueName('state');
    const admin = await adminClient();
    await admin.query(`CREATE DATABASE ${stateDb}`);
    await admin.end();
    const { host, port, user, password } = inject('pg');
    const env = projectEnv({ STEWARD_DATABASE_URL: `postgres://${user}:${encodeURIComponent(password)}@${host}:${port}/${stateDb}` });
    const dir = await makeProject({ 'instance.yaml': instanceYaml(), 'roles.yaml': roleYaml(role, 'connectionLimit: 1') });
    expect((await runCli(['-C', dir, 'apply', '--auto-approve'], { env })).code).toBe(0);
    const { writeProject } = await import('./project.js');
    await writeProject(dir, { 'roles.yaml': roleYaml(role, 'connectionLimit: 2') });
    const block = await blockRole(role);
    const first = startCli(['-C', dir, 'apply', '--auto-approve'], env);
    const firstDone = new Promise<number | null>((r) => first.on('close', (code) => r(code)));
    try {
      await waitFor(() => stewardIsWaiting(role), 'the first apply to wait on the role');
      expect((await runCli(['-C', dir, 'plan', '--detailed-exitcode'], { env })).code).toBe(2);
      const second = await runCli(['-C', dir, 'apply', '--auto-approve', '--lock-timeout', '300ms'], { env });
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(/lock/i);
      expect(second.stderr).toContain(`pid=${first.pid}`);
    } finally {
      await block.release();
    }
    expect(await firstDone).toBe(0);
    await runCli(['-C', dir, 'destroy', '--auto-approve'], { env });
  });

  it('after kill -9 mid-apply, the state and audit log know the mutation, and the next apply reconciles it', async () => {
    const role = uniqueName('crash');
    const dir = await makeProject({ 'instance.yaml': instanceYaml(), 'roles.yaml': roleYaml(role, 'connectionLimit: 1') });
    expect((await runCli(['-C', dir, 'apply', '--auto-approve'])).code).toBe(0);
    const { writeProject } = await import('./project.js');
    await writeProject(dir, { 'roles.yaml': roleYaml(role, 'connectionLimit: 5') });
    const block = await blockRole(role);
    const victim = startCli(['-C', dir, 'apply', '--auto-approve']);
    const killed = new Promise<NodeJS.Signals | null>((r) => victim.on('close', (_code, signal) => r(signal)));
    try {
      await waitFor(() => stewardIsWaiting(role), 'the apply to be mid-mutation');
      victim.kill('SIGKILL');
      expect(await killed).toBe('SIGKILL');
    } finally {
      await block.release();
    }

    const audit = await runCli(['-C', dir, 'audit', 'list', '--json']);
    expect(audit.code).toBe(0);
    const entries = JSON.parse(audit.stdout) as { action: string; address: string | null; outcome: string }[];
    expect(entries.filter((e) => e.address === `PostgresRole/${role}`).map((e) => `${e.action}:${e.outcome}`)).toEqual([
      'create:pending',
      'create:succeeded',
      'update:pending',
    ]);

    const plan = await runCli(['-C', dir, 'plan', '--json']);
    const planned = JSON.parse(plan.stdout) as { pendingIntents: { address: string; action: string }[] };
    expect(planned.pendingIntents).toEqual([{ address: `PostgresRole/${role}`, action: 'update' }]);

    const recovered = await runCli(['-C', dir, 'apply', '--auto-approve']);
    expect(recovered.code).toBe(0);
    expect(recovered.stderr).toContain(`PostgresRole/${role}: an interrupted update was re-observed`);
    const after = JSON.parse((await runCli(['-C', dir, 'audit', 'list', '--json', '--address', `PostgresRole/${role}`])).stdout) as { action: string; outcome: string }[];
    expect(after.map((e) => `${e.action}:${e.outcome}`)).toContain('update:recovered');
    expect((await runCli(['-C', dir, 'plan', '--detailed-exitcode'])).code).toBe(0);
    const admin = await adminClient();
    const { rows } = await admin.query('SELECT rolconnlimit FROM pg_roles WHERE rolname = $1', [role]);
    await admin.end();
    expect(rows[0]).toEqual({ rolconnlimit: 5 });
    expect((await runCli(['-C', dir, 'audit', 'verify'])).code).toBe(0);
    await runCli(['-C', dir, 'destroy', '--auto-approve']);
  });

  it('audit verify finds an edited entry and says which', async () => {
    const role = uniqueName('audited');
    const dir = await makeProject({ 'instance.yaml': instanceYaml(), 'roles.yaml': roleYaml(role, '') });
    expect((await runCli(['-C', dir, 'apply', '--auto-approve'])).code).toBe(0);
    expect((await runCli(['-C', dir, 'audit', 'verify'])).code).toBe(0);

    const db = new PGlite(join(dir, '.steward', 'state'));
    await db.exec(`SET session_replication_role = replica;
      UPDATE steward.audit_log SET actor = 'someone-else' WHERE seq = 2;`);
    await db.close();

    const verify = await runCli(['-C', dir, 'audit', 'verify']);
    expect(verify.code).toBe(1);
    expect(verify.stderr).toContain('Audit log tampered');
    expect(verify.stderr).toMatch(/entry 2: edited/);
    await runCli(['-C', dir, 'destroy', '--auto-approve']);
  });

  it('audit list shows the one pending entry of a batch and its one outcome, and finds both by any address the batch changed', async () => {
    const roles = ['a', 'b', 'c'].map((n) => uniqueName(`batched_${n}`));
    const dir = await makeProject({ 'instance.yaml': instanceYaml(), 'roles.yaml': roles.map((r) => roleYaml(r, '')).join('') });
    // One worker: the three roles are ready at once and form one batch.
    expect((await runCli(['-C', dir, 'apply', '--auto-approve', '--parallelism', '1'])).code).toBe(0);
    const row = (text: string, action: string): string | undefined => text.split('\n').find((line) => line.split(/\s+/).includes(action));

    const all = await runCli(['-C', dir, 'audit', 'list']);
    expect(all.code).toBe(0);
    expect(row(all.stdout, 'intents')).toMatch(/intents\s+\(3 changes\)\s+pending/);

    const one = await runCli(['-C', dir, 'audit', 'list', '--address', `PostgresRole/${roles[1]}`]);
    expect(one.stdout).toMatch(new RegExp(`intents\\s+PostgresRole/${roles[1]}\\s+pending`));
    expect(one.stdout).toMatch(new RegExp(`intents\\s+PostgresRole/${roles[1]}\\s+succeeded`));
    const json = JSON.parse((await runCli(['-C', dir, 'audit', 'list', '--json', '--address', `PostgresRole/${roles[1]}`])).stdout) as { action: string; outcome: string; detail: { intents?: { address: string }[] } }[];
    expect(json.map((e) => [e.action, e.outcome])).toEqual([
      ['intents', 'pending'],
      ['intents', 'succeeded'],
    ]);
    expect(json[1]?.detail.intents?.map((i) => i.address).sort()).toEqual(roles.map((r) => `PostgresRole/${r}`).sort());
    expect(json[0]?.detail.intents?.map((i) => i.address).sort()).toEqual(roles.map((r) => `PostgresRole/${r}`).sort());
    await runCli(['-C', dir, 'destroy', '--auto-approve']);
  });
});
