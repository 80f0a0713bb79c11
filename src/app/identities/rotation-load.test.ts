import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { runApply } from '../reconcile.js';
import { rotateRepeatedly } from './commands.js';
import { uniqueName } from '../../../test/fixtures.js';
import { agentProject, parseEnvFile, sql } from '../../../test/identities.js';

const ROTATIONS = 50;

describe('rotation under load', () => {
  it(`keeps a client that logs in many times a second through ${ROTATIONS} rotations without one failed login`, { timeout: 600_000 }, async () => {
    const agent = `load-${uniqueName('a').slice(2)}`.replace(/_/g, '-');
    const database = uniqueName('loaddb');
    const project = await agentProject(agent, database, { grace: '1s' });
    expect((await runApply(project.options, { confirm: async () => true })).apply?.ok).toBe(true);
    const envFile = join(project.dir, `.run/${agent}.env`);

    // The client reads the current credential from the delivered file before every login, as a
    // runtime re-reading its configuration would.
    let logins = 0;
    const failures: string[] = [];
    const users = new Set<string>();
    let running = true;
    const client = (async () => {
      while (running) {
        const vars = parseEnvFile(await readFile(envFile, 'utf8'));
        const session = new pg.Client({ connectionString: vars['DATABASE_URL'] });
        session.on('error', () => undefined);
        try {
          await session.connect();
          await session.query('SELECT count(*) FROM billing.invoices');
          logins += 1;
          users.add(vars['PGUSER'] ?? '');
        } catch (error) {
          failures.push(error instanceof Error ? error.message : String(error));
        } finally {
          await session.end().catch(() => undefined);
        }
      }
    })();

    const durations = await rotateRepeatedly(project.options, agent, ROTATIONS);
    running = false;
    await client;

    expect(durations).toHaveLength(ROTATIONS);
    expect(failures).toEqual([]);
    // Several logins per rotation on average: the client kept logging in throughout.
    expect(logins).toBeGreaterThan(ROTATIONS * 2);
    expect(users.size).toBe(2);
    await sql(`DROP DATABASE ${database}`);
  });
});
