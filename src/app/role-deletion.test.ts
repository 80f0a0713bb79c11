import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { runApply, runPlan } from './reconcile.js';
import { uniqueName } from '../../test/fixtures.js';
import { adminClient, instanceYaml, makeProject, projectOptions, roleYaml, writeProject } from '../../test/project.js';

const approve = { confirm: async () => true };

async function sql(text: string, params: readonly unknown[] = [], database = 'postgres'): Promise<Record<string, unknown>[]> {
  const admin = await adminClient(database);
  try {
    return (await admin.query(text, params as unknown[])).rows;
  } finally {
    await admin.end();
  }
}

const roleExists = async (name: string): Promise<boolean> => (await sql('SELECT 1 FROM pg_roles WHERE rolname = $1', [name])).length > 0;
const tableOwner = async (table: string, database: string): Promise<unknown> =>
  (await sql('SELECT pg_get_userbyid(relowner) AS owner FROM pg_class WHERE oid = to_regclass($1)', [table], database))[0]?.['owner'];

describe('deleting a role that owns objects or holds privileges, in every database', () => {
  it('fails by default with a clear message, reassigns when asked, and revokes its privileges everywhere', async () => {
    const bot = uniqueName('leaver');
    const heir = uniqueName('heir');
    const db = uniqueName('rd_db');
    const dir = await makeProject({ 'instance.yaml': instanceYaml(), 'roles.yaml': roleYaml(bot, '') + roleYaml(heir, '') });
    const options = projectOptions(dir);
    expect((await runApply(options, approve)).apply?.ok).toBe(true);
    // Out of band: the role owns a table in another database and holds a privilege in this one.
    await sql(`CREATE DATABASE ${db}`);
    await sql(`CREATE TABLE public.owned_by_bot (id int); ALTER TABLE public.owned_by_bot OWNER TO ${bot}`, [], db);
    await sql(`CREATE TABLE public.${bot}_readable (id int); GRANT SELECT ON public.${bot}_readable TO ${bot}`);

    await writeProject(dir, { 'roles.yaml': roleYaml(heir, '') });
    const plan = await runPlan(options);
    const removal = plan.plan.changes.find((c) => c.address === `PostgresRole/${bot}`);
    expect(removal?.reason).toContain(`owns 1 object(s) (in postgres, ${db})`);
    expect(removal?.reason).toContain("its privileges on 1 object(s) are revoked");
    expect(removal?.reason).toContain('with onDelete: fail the delete stops');
    const failed = await runApply(options, approve);
    expect(failed.apply?.results.find((r) => r.address === `PostgresRole/${bot}`)?.error).toContain(
      `role ${bot} owns 1 object(s) in database ${db}; set spec.onDelete to {reassignTo: ROLE} or dropOwned`,
    );
    expect(await roleExists(bot)).toBe(true);

    // Declare how to handle what it owns, apply that, then remove it.
    await writeProject(dir, { 'roles.yaml': roleYaml(heir, '') + roleYaml(bot, `onDelete: { reassignTo: ${heir} }`) });
    expect((await runApply(options, approve)).apply?.ok).toBe(true);
    await writeProject(dir, { 'roles.yaml': roleYaml(heir, '') });
    expect((await runPlan(options)).plan.changes.find((c) => c.address === `PostgresRole/${bot}`)?.reason).toContain(`reassigned to ${heir}`);
    expect((await runApply(options, approve)).apply?.ok).toBe(true);
    expect(await roleExists(bot)).toBe(false);
    expect(await tableOwner('public.owned_by_bot', db)).toBe(heir);

    await runApply(options, approve, { destroy: true });
    await sql(`DROP DATABASE ${db}`);
    await sql(`DROP TABLE public.${bot}_readable`);
  });

  it('drops owned objects with dropOwned and ends open sessions when asked', async () => {
    const bot = uniqueName('quitter');
    const dir = await makeProject({
      'instance.yaml': instanceYaml(),
      'roles.yaml': roleYaml(bot, 'login: true\nconnectionLimit: 3\nonDelete: dropOwned\nterminateSessions: true'),
    });
    const options = projectOptions(dir);
    expect((await runApply(options, approve)).apply?.ok).toBe(true);
    await sql(`ALTER ROLE ${bot} PASSWORD 'only-for-this-test'; CREATE TABLE public.${bot}_t (id int); ALTER TABLE public.${bot}_t OWNER TO ${bot}`);
    const { host, port } = inject('pg');
    const session = new pg.Client({ host, port, user: bot, password: 'only-for-this-test', database: 'postgres' });
    await session.connect();
    const ended = new Promise<void>((resolve) => session.on('error', () => resolve()));

    await writeProject(dir, { 'roles.yaml': '' });
    const plan = await runPlan(options);
    expect(plan.plan.changes[0]?.reason).toContain('its sessions are ended');
    expect(plan.plan.changes[0]?.reason).toContain('owned object(s) are DROPPED');
    expect((await runApply(options, approve)).apply?.ok).toBe(true);
    await ended;
    expect(await roleExists(bot)).toBe(false);
    expect(await sql('SELECT to_regclass($1) AS t', [`public.${bot}_t`])).toEqual([{ t: null }]);
    await session.end().catch(() => undefined);
  });
});
