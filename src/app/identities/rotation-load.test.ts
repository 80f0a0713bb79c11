import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runApply } from '../reconcile.js';
import { rotateRepeatedly } from './commands.js';
import { LoginProbe } from './login-probe.js';
import { uniqueName } from '../../../test/fixtures.js';
import { agentProject, sql } from '../../../test/identities.js';

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
    const probe = new LoginProbe(envFile, 'SELECT count(*) FROM billing.invoices');
    const durations = await rotateRepeatedly(project.options, agent, ROTATIONS);
    const { logins, failures, users } = await probe.stop();

    expect(durations).toHaveLength(ROTATIONS);
    expect(failures).toEqual([]);
    // Several logins per rotation on average: the client kept logging in throughout.
    expect(logins).toBeGreaterThan(ROTATIONS * 2);
    expect(users.size).toBe(2);
    await sql(`DROP DATABASE ${database}`);
  });
});
