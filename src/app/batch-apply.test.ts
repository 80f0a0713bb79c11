import { describe, expect, it } from 'vitest';
import type { PlannedChange } from '../core/index.js';
import { batchIntentAddresses } from '../store/audit-pages.js';
import { withStore } from './project.js';
import { runApply, runPlan } from './reconcile.js';
import { uniqueName } from '../../test/fixtures.js';
import { adminClient, instanceYaml, makeProject, manifestYaml, projectOptions, roleYaml } from '../../test/project.js';

const approve = { confirm: async () => true };

async function existingRoles(names: readonly string[]): Promise<readonly string[]> {
  const admin = await adminClient();
  try {
    const { rows } = await admin.query<{ rolname: string }>('SELECT rolname FROM pg_roles WHERE rolname = ANY($1::text[]) ORDER BY rolname', [names]);
    return rows.map((r) => r.rolname);
  } finally {
    await admin.end();
  }
}

/**
 * The run's audit trail of the given addresses, as [address, outcome], in log order: a batch's
 * one 'pending' entry counts once for each intent it names.
 */
async function auditOf(options: ReturnType<typeof projectOptions>, runId: string, addresses: readonly string[]): Promise<readonly (readonly [string, string])[]> {
  return withStore({ ...options, command: 'audit' }, async (store) => {
    expect((await store.audit.verify()).ok).toBe(true);
    expect(await store.unresolvedIntents()).toEqual([]);
    const entries = await store.audit.list({ runId });
    const named = (e: (typeof entries)[number]): readonly string[] => batchIntentAddresses(e) ?? (e.address === null ? [] : [e.address]);
    return entries.flatMap((e) => named(e).filter((a) => addresses.includes(a)).map((a) => [a, e.outcome] as const));
  });
}

describe('applying in batches', () => {
  it('records every intent of a batch before its statements, and isolates the one change that fails', async () => {
    const names = [1, 2, 3, 4, 5].map((i) => uniqueName(`batch${i}`));
    const broken = names[2]!;
    const dir = await makeProject({
      'instance.yaml': instanceYaml(),
      // work_mem does not take this value: the batch stops at this role's transaction, then one by one only this role fails.
      'roles.yaml': names.map((n) => roleYaml(n, n === broken ? 'config:\n  work_mem: not-a-size' : 'comment: batched')).join(''),
    });
    // One worker: every role is ready at once, so they form one batch.
    const options = projectOptions(dir, { parallelism: 1 });
    const report = await runApply(options, approve);

    const status = Object.fromEntries((report.apply?.results ?? []).map((r) => [r.address, r.status]));
    expect(status).toEqual(Object.fromEntries(names.map((n) => [`PostgresRole/${n}`, n === broken ? 'failed' : 'succeeded'])));
    const failure = report.apply?.results.find((r) => r.status === 'failed');
    expect(failure?.error).toMatch(/work_mem/);
    expect(await existingRoles(names)).toEqual(names.filter((n) => n !== broken).sort());

    // Record before mutate for the whole batch: every pending entry precedes every outcome.
    const addresses = names.map((n) => `PostgresRole/${n}`);
    const audit = await auditOf(options, report.runId!, addresses);
    expect(audit.slice(0, names.length).map(([, outcome]) => outcome)).toEqual(names.map(() => 'pending'));
    expect(audit.slice(names.length).map(([address, outcome]) => [address, outcome])).toEqual(
      expect.arrayContaining(names.map((n) => [`PostgresRole/${n}`, n === broken ? 'failed' : 'succeeded'])),
    );
    expect(audit).toHaveLength(2 * names.length);

    // The state holds the four that succeeded: only the broken one is planned again.
    const again = await runPlan(options);
    expect(again.plan.changes.filter((c) => c.action !== 'no-op').map((c) => [c.address, c.action])).toEqual([[`PostgresRole/${broken}`, 'create']]);
  });

  it('asks the guard for every change of a batch and holds back only the one it names, with what depends on it', async () => {
    const names = [1, 2, 3, 4].map((i) => uniqueName(`guarded${i}`));
    const held = names[1]!;
    const dir = await makeProject({
      'instance.yaml': instanceYaml(),
      'roles.yaml': names.map((n) => roleYaml(n, '')).join(''),
      'membership.yaml': manifestYaml('PostgresRoleMembership', 'held-in-first', `role: ${names[0]}\nmember: ${held}`),
    });
    // One worker: every role is ready at once, so they form one batch.
    const options = projectOptions(dir, { parallelism: 1 });
    const asked: string[] = [];
    const guard = async (change: PlannedChange): Promise<string | undefined> => {
      asked.push(change.address);
      return change.name === held ? 'rate limit reached' : undefined;
    };
    const report = await runApply(options, { ...approve, guard });

    expect([...asked].sort()).toEqual(names.map((n) => `PostgresRole/${n}`).sort());
    const results = Object.fromEntries((report.apply?.results ?? []).map((r) => [r.address, [r.status, r.error]]));
    expect(results).toEqual({
      ...Object.fromEntries(names.map((n) => [`PostgresRole/${n}`, n === held ? ['skipped', 'held back: rate limit reached'] : ['succeeded', undefined]])),
      'PostgresRoleMembership/held-in-first': ['skipped', `not started: PostgresRole/${held} did not succeed`],
    });
    expect(await existingRoles(names)).toEqual(names.filter((n) => n !== held).sort());
    // A held-back change records no intent at all.
    const audit = await auditOf(options, report.runId!, [...names.map((n) => `PostgresRole/${n}`), 'PostgresRoleMembership/held-in-first']);
    expect(audit.filter(([address]) => address === `PostgresRole/${held}`)).toEqual([]);
    expect(audit).toHaveLength(2 * (names.length - 1));
  });
});
