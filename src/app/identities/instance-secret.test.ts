import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { TEST_PASSWORD_ENV, uniqueName } from '../../../test/fixtures.js';
import { autonomyYaml, instanceIn, startAgent, storeUrl } from '../../../test/agent-support.js';
import { sql } from '../../../test/identities.js';
import { makeProject, makeTempDir, projectEnv, roleYaml, runCli, waitFor, writeProject, type CliResult } from '../../../test/project.js';
import { filesUnder } from '../../../test/files.js';

/** The shared test server (through `database`), its administrator's password kept in Secret/admin-password. */
function instanceWithSecretYaml(database: string): string {
  // The same declaration the other tests use, with the password reference swapped.
  return `${instanceIn(database).replace(`password: { env: ${TEST_PASSWORD_ENV} }`, 'password: { secretRef: admin-password }')}---
apiVersion: steward.dev/v1alpha1
kind: Secret
metadata:
  name: admin-password
spec:
  type: external
  description: the password Steward manages the server with
`;
}

/** The password is not in the environment: the Secret is the only place it can come from. */
function envWithoutPassword(): NodeJS.ProcessEnv {
  const env = projectEnv();
  delete env[TEST_PASSWORD_ENV];
  return env;
}

const MISSING =
  'PostgresInstance/main: spec.password refers to Secret/admin-password, which has no value yet; set it with steward secret set admin-password (reads stdin)';

async function connectionLimit(role: string): Promise<number | undefined> {
  const rows = await sql('SELECT rolconnlimit FROM pg_roles WHERE rolname = $1', [role]);
  return rows[0]?.['rolconnlimit'] as number | undefined;
}

describe('PostgresInstance.password as {secretRef: NAME}', () => {
  it('is a located error when the Secret is not declared, and a literal is still refused', async () => {
    const env = envWithoutPassword();
    const dangling = await makeProject({ 'instance.yaml': instanceIn('postgres').replace(`password: { env: ${TEST_PASSWORD_ENV} }`, 'password: { secretRef: nope }') });
    const undeclared = await runCli(['-C', dangling, 'validate'], { env });
    expect(undeclared.code).toBe(1);
    expect(undeclared.stderr).toContain('instance.yaml:10:13: error[dangling-reference]');
    expect(undeclared.stderr).toContain('spec.password names Secret/nope, which is not declared');
    const literal = await makeProject({ 'instance.yaml': instanceIn('postgres').replace(`password: { env: ${TEST_PASSWORD_ENV} }`, 'password: hunter2') });
    const refused = await runCli(['-C', literal, 'validate'], { env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('instance.yaml:10:13: error[literal-secret]');
    expect(refused.stderr).not.toContain('hunter2');
  });

  it('plans, applies, imports and reconciles with the password read from the encrypted store, and prints it nowhere', { timeout: 240_000 }, async () => {
    const password = inject('pg').password;
    const role = uniqueName('secref');
    const database = uniqueName('secrefdb');
    await sql(`CREATE DATABASE ${database}`);
    const dir = await makeProject({ 'instance.yaml': instanceWithSecretYaml(database), 'roles.yaml': roleYaml(role, 'connectionLimit: 3') });
    const env = envWithoutPassword();
    const outputs: CliResult[] = [];
    const cli = async (args: readonly string[], input?: string): Promise<CliResult> => {
      const result = await runCli(['-C', dir, ...args], { env, ...(input === undefined ? {} : { input }) });
      outputs.push(result);
      return result;
    };

    // Commands that connect to nothing need no key.
    const validated = await cli(['validate']);
    expect(validated.code, validated.stderr).toBe(0);
    const noKey = await cli(['plan']);
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toContain('no master key');

    expect((await cli(['init'])).code).toBe(0);
    // The external Secret has no value yet: a clear error before anything connects.
    const unset = await cli(['plan']);
    expect(unset.code).toBe(1);
    expect(unset.stderr).toContain(MISSING);
    const unsetApply = await cli(['apply', '--auto-approve', '--json']);
    expect(unsetApply.code).toBe(1);
    expect((JSON.parse(unsetApply.stdout) as { error: { message: string } }).error.message).toBe(MISSING);
    expect(await connectionLimit(role)).toBeUndefined();

    const set = await cli(['secret', 'set', 'admin-password'], `${password}\n`);
    expect(set.code, set.stderr).toBe(0);

    const planned = await cli(['plan', '--json']);
    expect(planned.code, planned.stderr).toBe(0);
    const plan = JSON.parse(planned.stdout) as { changes: { address: string; action: string }[] };
    expect(plan.changes).toContainEqual(expect.objectContaining({ address: `PostgresRole/${role}`, action: 'create' }));

    const applied = await cli(['apply', '--auto-approve']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(await connectionLimit(role)).toBe(3);
    const again = await cli(['plan', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as { changes: { action: string }[] }).changes.filter((c) => c.action !== 'no-op')).toEqual([]);

    // import connects through the same instance.
    const out = await makeTempDir('steward-import-');
    const imported = await cli(['import', 'postgres', '--instance', 'main', '--database', database, '--out', out, '--json']);
    expect(imported.code, imported.stderr).toBe(0);
    expect(await readFile(join(out, 'roles.yaml'), 'utf8')).toContain(role);
    // The instance it writes there keeps the reference and declares the Secret, so the directory loads.
    const instanceFile = await readFile(join(out, 'instance.yaml'), 'utf8');
    expect(instanceFile).toContain('secretRef: admin-password');
    expect(instanceFile).toContain('kind: Secret');
    const importedValid = await runCli(['-C', out, 'validate'], { env });
    expect(importedValid.code, importedValid.stderr).toBe(0);

    // The running agent (one cycle) connects with it too, and puts the drift back.
    await sql(`ALTER ROLE ${role} CONNECTION LIMIT 9`);
    await writeProject(dir, { 'autonomy.yaml': autonomyYaml('default: auto') });
    const once = await cli(['agent', '--once']);
    expect(once.code, once.stderr).toBe(0);
    expect(await connectionLimit(role)).toBe(3);

    expect((await cli(['audit', 'list'])).code).toBe(0);
    expect((await cli(['destroy', '--auto-approve'])).code).toBe(0);
    expect(await connectionLimit(role)).toBeUndefined();

    // The value is in no output, no file Steward wrote (the embedded store's data included, as bytes)
    // and no imported manifest.
    const leaks: string[] = [];
    outputs.forEach((o, i) => {
      if (o.stdout.includes(password) || o.stderr.includes(password)) leaks.push(`output of command ${i}`);
    });
    for (const file of [...(await filesUnder(dir)), ...(await filesUnder(out))]) {
      if ((await readFile(file)).toString('latin1').includes(password)) leaks.push(file);
    }
    expect(leaks).toEqual([]);
    await sql(`DROP DATABASE ${database} WITH (FORCE)`);
  });

  it('the running agent watches and reconciles through it, and reads it again when the manifests change', { timeout: 180_000 }, async () => {
    const password = inject('pg').password;
    const role = uniqueName('secagent');
    const database = uniqueName('secagentdb');
    await sql(`CREATE DATABASE ${database}`);
    const dir = await makeProject({
      'instance.yaml': instanceWithSecretYaml(database),
      'roles.yaml': roleYaml(role, 'connectionLimit: 3'),
      'autonomy.yaml': autonomyYaml('default: auto'),
    });
    const env = envWithoutPassword();
    expect((await runCli(['-C', dir, 'init'], { env })).code).toBe(0);
    // Not set yet: the agent does not start, and says why.
    const refused = await runCli(['-C', dir, 'agent', '--once'], { env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(MISSING);
    expect((await runCli(['-C', dir, 'secret', 'set', 'admin-password'], { env, input: password })).code).toBe(0);

    const agent = await startAgent(dir, env);
    try {
      await waitFor(async () => (await connectionLimit(role)) === 3, 'the first cycle to create the role');
      // The watch connected with the password from the Secret: event triggers in the database.
      await waitFor(async () => agent.log().includes(`"scope":"database ${database}","mode":"events"`), 'the database watch to run on events');
      await sql(`ALTER ROLE ${role} CONNECTION LIMIT 9`);
      await waitFor(async () => (await connectionLimit(role)) === 3, 'the drift to be put back');
      // A manifest edit reloads: the Secret is read again and the new sessions and watches use it.
      await writeProject(dir, { 'roles.yaml': roleYaml(role, 'connectionLimit: 4') });
      await waitFor(async () => (await connectionLimit(role)) === 4, 'the edited role to be applied');
      expect(agent.log()).toContain('manifests reloaded');
    } finally {
      expect(await agent.stop()).toBe(0);
    }
    expect(agent.log()).not.toContain(password);
    expect((await runCli(['-C', dir, 'destroy', '--auto-approve'], { env })).code).toBe(0);
    await sql(`DROP DATABASE ${database} WITH (FORCE)`);
  });

  it('the running agent picks up a new value after the server password changed and a cycle failed', { timeout: 180_000 }, async () => {
    const admin = uniqueName('secadmin');
    const role = uniqueName('secnew');
    const database = uniqueName('secnewdb');
    const first = `first-${uniqueName('pw')}`;
    const second = `second-${uniqueName('pw')}`;
    await sql(`CREATE ROLE ${admin} SUPERUSER LOGIN PASSWORD '${first}'`);
    await sql(`CREATE DATABASE ${database}`);
    const { user } = inject('pg');
    const dir = await makeProject({
      'instance.yaml': instanceWithSecretYaml(database).replace(`user: ${user}`, `user: ${admin}`),
      'roles.yaml': roleYaml(role, 'connectionLimit: 3'),
      'autonomy.yaml': autonomyYaml('default: auto'),
    });
    // A PostgreSQL store, so `steward secret set` can run while the agent does.
    const store = uniqueName('secstore');
    await sql(`CREATE DATABASE ${store}`);
    const env = { ...envWithoutPassword(), STEWARD_DATABASE_URL: storeUrl(store) };
    expect((await runCli(['-C', dir, 'init'], { env })).code).toBe(0);
    expect((await runCli(['-C', dir, 'secret', 'set', 'admin-password'], { env, input: first })).code).toBe(0);
    const agent = await startAgent(dir, env, ['--resync', '1s']);
    try {
      await waitFor(async () => (await connectionLimit(role)) === 3, 'the first cycle to create the role');
      // The server's password changes and Steward's sessions are ended: cycles fail to connect.
      await sql(`ALTER ROLE ${admin} PASSWORD '${second}'`);
      await sql('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [admin]);
      await sql(`ALTER ROLE ${role} CONNECTION LIMIT 9`);
      // The next resync cannot connect: the cycle fails, and the Secret is read again (unchanged yet).
      await waitFor(async () => agent.log().includes('"msg":"cycle failed"'), 'a cycle to fail with the old password');
      const reset = await runCli(['-C', dir, 'secret', 'set', 'admin-password'], { env, input: second });
      expect(reset.code, reset.stderr).toBe(0);
      await waitFor(async () => (await connectionLimit(role)) === 3, 'the drift to be put back with the new password', 60_000);
      expect(agent.log()).toContain('a secret an instance password refers to has a new value');
    } finally {
      expect(await agent.stop()).toBe(0);
    }
    for (const value of [first, second]) expect(agent.log()).not.toContain(value);
    expect((await runCli(['-C', dir, 'destroy', '--auto-approve'], { env })).code).toBe(0);
    await sql(`DROP DATABASE ${database} WITH (FORCE)`);
    await sql(`DROP ROLE ${admin}`);
    await sql(`DROP DATABASE ${store} WITH (FORCE)`);
  });
});
