import { rm } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { DiagnosticsError } from '../core/index.js';
import { withStore } from './project.js';
import { runApply, runPlan } from './reconcile.js';
import { uniqueName } from '../../test/fixtures.js';
import { adminClient, databaseYaml, instanceYaml, makeProject, projectOptions, roleYaml, writeProject } from '../../test/project.js';

const approve = { confirm: async () => true };

interface Backend {
  readonly name: string;
  databaseUrl(): Promise<string | undefined>;
}

const createdDatabases: string[] = [];

const backends: readonly Backend[] = [
  { name: 'embedded store', databaseUrl: async () => undefined },
  {
    name: 'PostgreSQL store',
    databaseUrl: async () => {
      const name = uniqueName('state');
      const admin = await adminClient();
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      createdDatabases.push(name);
      const { host, port, user, password } = inject('pg');
      return `postgres://${user}:${encodeURIComponent(password)}@${host}:${port}/${name}`;
    },
  },
];

afterAll(async () => {
  const admin = await adminClient();
  for (const name of createdDatabases) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
});

async function liveRole(name: string): Promise<Record<string, unknown> | undefined> {
  const admin = await adminClient();
  const { rows } = await admin.query('SELECT rolsuper, rolconnlimit, rolcanlogin FROM pg_roles WHERE rolname = $1', [name]);
  await admin.end();
  return rows[0];
}

async function liveDatabase(name: string): Promise<Record<string, unknown> | undefined> {
  const admin = await adminClient();
  const { rows } = await admin.query(
    'SELECT pg_get_userbyid(datdba) AS owner, pg_encoding_to_char(encoding) AS encoding, datconnlimit FROM pg_database WHERE datname = $1',
    [name],
  );
  await admin.end();
  return rows[0];
}

describe.each(backends)('plan and apply against a real PostgreSQL, $name', (backend) => {
  it('creates, updates in place, replaces and deletes, and plans nothing after each apply', async () => {
    const owner = uniqueName('owner');
    const bot = uniqueName('bot');
    const db = uniqueName('db');
    const dir = await makeProject({
      'instance.yaml': instanceYaml(),
      'roles.yaml': roleYaml(owner, 'comment: owns things') + roleYaml(bot, 'login: true\nconnectionLimit: 3'),
      'db.yaml': databaseYaml(db, `owner: ${owner}\nencoding: UTF8`),
    });
    const options = projectOptions(dir, { databaseUrl: await backend.databaseUrl() });

    // create
    const first = await runPlan(options);
    expect(first.plan.changes.map((c) => [c.address, c.action])).toEqual([
      [`PostgresRole/${bot}`, 'create'],
      [`PostgresRole/${owner}`, 'create'],
      [`PostgresDatabase/${db}`, 'create'],
    ]);
    const created = await runApply(options, approve);
    expect(created.apply?.ok).toBe(true);
    expect(await liveRole(bot)).toEqual({ rolsuper: false, rolconnlimit: 3, rolcanlogin: true });
    expect(await liveDatabase(db)).toEqual({ owner, encoding: 'UTF8', datconnlimit: -1 });
    expect((await runPlan(options)).plan.changes.every((c) => c.action === 'no-op')).toBe(true);

    // in-place update, shown field by field
    await writeProject(dir, { 'roles.yaml': roleYaml(owner, 'comment: owns things') + roleYaml(bot, 'login: true\nconnectionLimit: 7') });
    const update = await runPlan(options);
    expect(update.plan.changes.find((c) => c.action !== 'no-op')).toMatchObject({
      address: `PostgresRole/${bot}`,
      action: 'update',
      changes: [{ field: 'connectionLimit', before: 3, after: 7, requiresReplace: false }],
    });
    expect((await runApply(options, approve)).apply?.ok).toBe(true);
    expect(await liveRole(bot)).toMatchObject({ rolconnlimit: 7 });

    // replace: the encoding cannot change in place
    await writeProject(dir, { 'db.yaml': databaseYaml(db, `owner: ${owner}\nencoding: LATIN1`) });
    const replace = await runPlan(options);
    expect(replace.plan.changes.find((c) => c.action !== 'no-op')).toMatchObject({ action: 'replace', reason: 'encoding cannot change in place' });
    expect((await runApply(options, approve)).apply?.ok).toBe(true);
    expect(await liveDatabase(db)).toMatchObject({ encoding: 'LATIN1' });
    expect((await runPlan(options)).plan.changes.every((c) => c.action === 'no-op')).toBe(true);

    // delete, dependants first
    await writeProject(dir, { 'db.yaml': '', 'roles.yaml': roleYaml(bot, 'login: true\nconnectionLimit: 7') });
    const removal = await runPlan(options);
    expect(removal.plan.changes.filter((c) => c.action === 'delete').map((c) => c.address)).toEqual([`PostgresDatabase/${db}`, `PostgresRole/${owner}`]);
    expect((await runApply(options, approve)).apply?.ok).toBe(true);
    expect(await liveDatabase(db)).toBeUndefined();
    expect(await liveRole(owner)).toBeUndefined();
    expect((await runPlan(options)).plan.changes.map((c) => c.action)).toEqual(['no-op']);

    // the state and its history follow every step
    await withStore({ ...options, command: 'check' }, async (store) => {
      expect((await store.listResources()).map((r) => r.address)).toEqual([`PostgresRole/${bot}`]);
      const history = await store.history(`PostgresDatabase/${db}`);
      expect(history.map((h) => h.action)).toEqual(['delete', 'replace', 'create']);
      expect((await store.audit.verify()).ok).toBe(true);
    });

    await runApply(options, approve, { destroy: true });
    expect(await liveRole(bot)).toBeUndefined();
    if (!options.databaseUrl) await rm(dir, { recursive: true, force: true });
  });

  it('detects an out-of-band change and reverts it', async () => {
    const bot = uniqueName('drift');
    const dir = await makeProject({ 'instance.yaml': instanceYaml(), 'roles.yaml': roleYaml(bot, 'login: true\nconnectionLimit: 2') });
    const options = projectOptions(dir, { databaseUrl: await backend.databaseUrl() });
    await runApply(options, approve);
    const admin = await adminClient();
    await admin.query(`ALTER ROLE ${bot} SUPERUSER CONNECTION LIMIT 50`);
    await admin.end();
    const drift = await runPlan(options);
    expect(drift.plan.changes[0]).toMatchObject({
      action: 'update',
      reason: 'it differs from the manifest',
      changes: [
        { field: 'connectionLimit', before: 50, after: 2 },
        { field: 'superuser', before: true, after: false },
      ],
    });
    await runApply(options, approve);
    expect(await liveRole(bot)).toEqual({ rolsuper: false, rolconnlimit: 2, rolcanlogin: true });
    await runApply(options, approve, { destroy: true });
  });

  it('records what a resource needing no change now looks like, and writes nothing when it looks the same', async () => {
    const owner = uniqueName('holder');
    const db = uniqueName('held');
    const dir = await makeProject({ 'instance.yaml': instanceYaml(), 'roles.yaml': roleYaml(owner, 'comment: holds a database') });
    const options = projectOptions(dir, { databaseUrl: await backend.databaseUrl() });
    const history = (): Promise<readonly { action: string; attributes: unknown }[]> =>
      withStore({ ...options, command: 'check' }, (store) => store.history(`PostgresRole/${owner}`));
    expect((await runApply(options, approve)).apply?.ok).toBe(true);
    expect((await runApply(options, approve)).apply?.ok).toBe(true);
    expect((await history()).map((h) => h.action)).toEqual(['create']);

    // Something the manifest does not declare changes: nothing to apply, but the record follows.
    const admin = await adminClient();
    try {
      await admin.query(`CREATE DATABASE ${db} OWNER ${owner}`);
      const applied = await runApply(options, approve);
      expect(applied.plan.changes.map((c) => c.action)).toEqual(['no-op']);
      const after = await history();
      expect(after.map((h) => h.action)).toEqual(['refresh', 'create']);
      expect(after[0]?.attributes).toMatchObject({ dependents: { owned: 1, databases: ['(shared)'] } });
      await runApply(options, approve);
      expect((await history()).map((h) => h.action)).toEqual(['refresh', 'create']);
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${db}`);
      await admin.end();
    }
    await runApply(options, approve, { destroy: true });
    if (!options.databaseUrl) await rm(dir, { recursive: true, force: true });
  });
});

describe('guarded and failing changes', () => {
  it('refuses to delete a protected resource and changes nothing', async () => {
    const keep = uniqueName('keep');
    const other = uniqueName('other');
    const dir = await makeProject({ 'instance.yaml': instanceYaml(), 'roles.yaml': roleYaml(keep, 'protect: true') + roleYaml(other, '') });
    const options = projectOptions(dir);
    await runApply(options, approve);
    await writeProject(dir, { 'roles.yaml': '' });
    const report = await runApply(options, approve);
    expect(report.approved).toBe(false);
    expect(report.plan.diagnostics).toEqual([expect.objectContaining({ code: 'protected-resource', address: `PostgresRole/${keep}` })]);
    expect(await liveRole(keep)).toBeDefined();
    expect(await liveRole(other)).toBeDefined();
    // Unprotect first, then remove: the documented way out.
    await writeProject(dir, { 'roles.yaml': roleYaml(keep, 'protect: false') + roleYaml(other, '') });
    await runApply(options, approve);
    await writeProject(dir, { 'roles.yaml': '' });
    expect((await runApply(options, approve)).apply?.ok).toBe(true);
    expect(await liveRole(keep)).toBeUndefined();
  });

  it('stops dependants of a failed change, finishes the rest and records both', async () => {
    const good = uniqueName('good');
    const db = uniqueName('baddb');
    const after = uniqueName('after');
    const dir = await makeProject({
      'instance.yaml': instanceYaml(),
      'roles.yaml': roleYaml(good, '') + roleYaml(after, `dependsOn: [PostgresDatabase/${db}]`),
      // The owner does not exist anywhere, so creating the database fails on the server.
      'db.yaml': databaseYaml(db, 'owner: nobody_has_this_role'),
    });
    const options = projectOptions(dir);
    const report = await runApply(options, approve);
    expect(report.apply?.ok).toBe(false);
    const status = Object.fromEntries(report.apply!.results.map((r) => [r.address, r.status]));
    expect(status).toEqual({
      [`PostgresRole/${good}`]: 'succeeded',
      [`PostgresDatabase/${db}`]: 'failed',
      [`PostgresRole/${after}`]: 'skipped',
    });
    expect(report.apply!.results.find((r) => r.status === 'failed')?.error).toContain('nobody_has_this_role');
    await withStore({ ...options, command: 'check' }, async (store) => {
      expect((await store.listResources()).map((r) => r.address)).toEqual([`PostgresRole/${good}`]);
      const failed = (await store.audit.list({ address: `PostgresDatabase/${db}` })).map((e) => e.outcome);
      expect(failed).toEqual(['pending', 'failed']);
      expect(await store.unresolvedIntents()).toEqual([]);
    });
    await writeProject(dir, { 'roles.yaml': '', 'db.yaml': '' });
    await runApply(options, approve);
  });

  it('adopts a resource that already exists as declared', async () => {
    const existing = uniqueName('existing');
    const admin = await adminClient();
    await admin.query(`CREATE ROLE ${existing} LOGIN`);
    await admin.end();
    const dir = await makeProject({ 'instance.yaml': instanceYaml(), 'roles.yaml': roleYaml(existing, 'login: true') });
    const options = projectOptions(dir);
    const plan = await runPlan(options);
    expect(plan.plan.changes[0]).toMatchObject({ action: 'no-op', adopt: true });
    await runApply(options, approve);
    await withStore({ ...options, command: 'check' }, async (store) => {
      expect((await store.history(`PostgresRole/${existing}`)).map((h) => h.action)).toEqual(['adopt']);
    });
    expect((await runPlan(options)).plan.changes[0]).toMatchObject({ action: 'no-op', adopt: false });
    await runApply(options, approve, { destroy: true });
  });

  it('reports bad manifests before touching anything', async () => {
    const dir = await makeProject({ 'instance.yaml': instanceYaml(), 'roles.yaml': roleYaml('x', 'conectionLimit: 3') });
    await expect(runPlan(projectOptions(dir))).rejects.toBeInstanceOf(DiagnosticsError);
  });
});
