import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { runApply } from '../reconcile.js';
import { withStore } from '../project.js';
import { uniqueName } from '../../../test/fixtures.js';
import { runCli } from '../../../test/project.js';
import { agentProject, parseEnvFile, type AgentProject } from '../../../test/identities.js';

async function deliveredCredentialWorks(project: AgentProject): Promise<string> {
  const vars = parseEnvFile(await readFile(join(project.dir, `.run/${project.agent}.env`), 'utf8'));
  const client = new pg.Client({ connectionString: vars['DATABASE_URL'] });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query('SELECT count(*) FROM billing.invoices');
  } finally {
    await client.end();
  }
  return vars['PGUSER'] ?? '';
}

/** Each step of a rotation, and what the next run says about a crash right after it. */
const STEPS: readonly (readonly [string, RegExp])[] = [
  ['rotate.after-prepare', /rolled back; the published credential still works/],
  ['rotate.after-set-password', /rolled back; the published credential still works/],
  ['rotate.after-verify', /rolled back; the published credential still works/],
  ['rotate.after-promote', /had been published and was completed/],
  ['rotate.after-publish', /credentials delivered to/],
  ['rotate.after-deliver', /rotated to login/],
  ['rotate.after-invalidate', /rotated to login/],
];

describe('a rotation killed (SIGKILL) at any step', () => {
  let project: AgentProject;

  beforeAll(async () => {
    const agent = `crash-${uniqueName('a').slice(2)}`.replace(/_/g, '-');
    project = await agentProject(agent, uniqueName('crashdb'), { grace: '0s' });
    expect((await runApply(project.options, { confirm: async () => true })).apply?.ok).toBe(true);
  });

  it.each(STEPS)('after %s: the agent keeps a working credential and the next run recovers', async (step, recovered) => {
    await deliveredCredentialWorks(project);
    const crashed = await runCli(['-C', project.dir, 'rotate', project.agent, '--wait'], { env: { ...project.env, STEWARD_FAILPOINT: step } });
    expect(crashed.signal).toBe('SIGKILL');
    // Whatever was interrupted, the delivered credential still logs in.
    await deliveredCredentialWorks(project);

    const next = await runCli(['-C', project.dir, 'rotate', project.agent, '--wait'], { env: project.env });
    expect(next.stderr).toBe('');
    expect(next.code).toBe(0);
    expect(next.stdout).toMatch(recovered);
    const after = await deliveredCredentialWorks(project);
    expect(after).not.toBe('');

    await withStore(project.options, async (store) => {
      expect((await store.unresolvedIntents()).filter((i) => i.address === `Agent/${project.agent}`)).toEqual([]);
      const identity = await store.identities.get(project.agent);
      expect(identity).toMatchObject({ step: 'idle', pendingVersion: null, retiringLogin: null, activeLogin: after });
      const versions = await store.secrets.versions(identity!.secretName);
      expect(versions.filter((v) => v.state === 'current')).toHaveLength(1);
      expect(versions.filter((v) => v.state === 'pending')).toEqual([]);
    });
  });
});
