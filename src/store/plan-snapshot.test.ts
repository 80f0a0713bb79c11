import { access, appendFile, cp, mkdtemp, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPlanStore, openStoreWithClient } from './open-store.js';
import { RECORDS_DIGEST_SQL, planSnapshotPath, recordsDigest } from './plan-snapshot.js';
import { planStoreOf } from './plan-store.js';
import type { PlanStore, StateRecordInput, Store } from './types.js';

const record = (name: string, overrides: Partial<StateRecordInput> = {}): StateRecordInput => ({
  address: `PostgresRole/${name}`,
  kind: 'PostgresRole',
  name,
  target: 'PostgresInstance/main',
  spec: { instance: 'main' },
  specHash: `spec-${name}`,
  attributes: { login: false },
  providerId: `role:${name}`,
  dependencies: ['PostgresInstance/main'],
  protect: false,
  ...overrides,
});

let change: { readonly runId: string; readonly action: 'create' };

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

describe('the plan snapshot of the embedded store', () => {
  let projectDir: string;
  let snapshotFile: string;
  const open = async (): Promise<Store> => (await openStoreWithClient({ projectDir, command: 'test' })).store;
  const openPlan = (): Promise<PlanStore> => openPlanStore({ projectDir, command: 'plan' });
  /** A whole plan's reads, and where they came from. */
  const planOnce = async () => {
    const plan = await openPlan();
    const reads = await planReads(plan);
    await plan.close();
    return { fromSnapshot: plan.fromSnapshot, reads };
  };
  /** A command that reads every record and closes the store, which keeps a snapshot. */
  const readWhole = async (): Promise<void> => {
    const store = await open();
    await store.listResources();
    await store.close();
  };
  /** What a plan reads, wherever it comes from. */
  const planReads = async (plan: PlanStore) => ({
    records: await plan.listResourceSummaries(),
    intents: await plan.unresolvedIntents(),
    identities: await plan.identities.list(),
    secrets: await plan.secrets.list(),
    pauses: await plan.pauses.active(),
  });
  const fromStore = async () => {
    const store = await open();
    try {
      return await planReads(planStoreOf(store));
    } finally {
      await rm(snapshotFile, { force: true });
      await store.close();
      await rm(snapshotFile, { force: true });
    }
  };

  beforeAll(async () => {
    projectDir = await mkdtemp(join(tmpdir(), 'steward-plan-snapshot-'));
    snapshotFile = planSnapshotPath(join(projectDir, '.steward'));
    const store = await open();
    try {
      change = { runId: await store.startRun({ command: 'apply', actor: 'test' }), action: 'create' };
      await store.putResource(record('alpha'), change);
      await store.putResource(record('beta', { target: null, providerId: null, protect: true, dependencies: [] }), change);
      // Addresses outside ASCII and the BMP, and names that need escaping in JSON.
      await store.putResource(record('zé-𝔁', { dependencies: ['PostgresRole/alpha', 'Quote/"a\\b"'] }), change);
      await store.pauses.pause({ scope: 'resource:PostgresRole/alpha', reason: 'investigating', actor: 'test' });
    } finally {
      await store.close();
    }
  });
  afterAll(async () => {
    await rm(projectDir, { recursive: true, force: true });
  });

  it('computes the same digest of the records as the store does', async () => {
    const { store, client } = await openStoreWithClient({ projectDir, command: 'test' });
    try {
      const [row] = await client.query<{ digest: string }>(RECORDS_DIGEST_SQL);
      expect(recordsDigest(await store.listResourceSummaries())).toBe(row?.digest);
      expect(recordsDigest([])).not.toBe(row?.digest);
    } finally {
      await store.close();
    }
  });

  it('is kept by a command that read every record, and a plan then reads it without opening the store', async () => {
    const expected = await fromStore();
    expect(await exists(snapshotFile)).toBe(false);
    await readWhole();
    expect(await exists(snapshotFile)).toBe(true);
    expect((await stat(snapshotFile)).mode & 0o777).toBe(0o600);

    const plan = await openPlan();
    try {
      expect(plan.fromSnapshot).toBe(true);
      expect(await planReads(plan)).toEqual(expected);
      expect(expected.pauses).toHaveLength(1);
    } finally {
      await plan.close();
    }
    // Reading it changes nothing: the next plan reads it too.
    const again = await openPlan();
    expect(again.fromSnapshot).toBe(true);
    await again.close();
  });

  it('follows the writes of the command that keeps it', async () => {
    const store = await open();
    await store.listResourceSummaries();
    await store.putResource(record('gamma'), change);
    await store.putResource(record('alpha', { specHash: 'spec-alpha-2' }), change);
    await store.removeResource('PostgresRole/beta', { ...change, action: 'delete' });
    await store.close();
    const { fromSnapshot, reads } = await planOnce();
    expect(fromSnapshot).toBe(true);
    expect(reads).toEqual(await fromStore());
    expect(reads.records.map((r) => r.address)).toEqual(['PostgresRole/alpha', 'PostgresRole/gamma', 'PostgresRole/zé-𝔁']);
    expect(reads.records[0]?.specHash).toBe('spec-alpha-2');
  });

  it('is deleted as soon as any command opens the store, and not kept by one that did not read every record', async () => {
    await readWhole();
    expect(await exists(snapshotFile)).toBe(true);

    const writer = await open();
    expect(await exists(snapshotFile)).toBe(false);
    await writer.putResource(record('delta'), change);
    await writer.close();
    expect(await exists(snapshotFile)).toBe(false);

    const plan = await openPlan();
    try {
      expect(plan.fromSnapshot).toBe(false);
      expect((await plan.listResourceSummaries()).map((r) => r.address)).toContain('PostgresRole/delta');
    } finally {
      await plan.close();
    }
    // The plan read every record from the store, so it keeps a snapshot for the next one.
    expect(await exists(snapshotFile)).toBe(true);
    const next = await openPlan();
    expect(next.fromSnapshot).toBe(true);
    expect((await next.listResourceSummaries()).map((r) => r.address)).toContain('PostgresRole/delta');
    await next.close();
  });

  it('is not kept when the records differ from what the command saw', async () => {
    const { store, client } = await openStoreWithClient({ projectDir, command: 'test' });
    await store.listResources();
    // A change the command's own writes do not account for.
    await client.query(`UPDATE steward.resources SET spec_hash = 'edited' WHERE address = 'PostgresRole/alpha'`);
    await store.close();
    expect(await exists(snapshotFile)).toBe(false);
  });

  it('is not read when the store was changed or replaced by other means, or when it is damaged', async () => {
    const keep = async (): Promise<void> => {
      await readWhole();
      expect(await exists(snapshotFile)).toBe(true);
    };
    const readsSnapshot = async (): Promise<boolean> => {
      const plan = await openPlan();
      await plan.close();
      return plan.fromSnapshot;
    };
    const dataDir = join(projectDir, '.steward', 'state');

    await keep();
    const control = join(dataDir, 'global', 'pg_control');
    const { atime, mtime } = await stat(control);
    await utimes(control, atime, mtime);
    expect(await readsSnapshot()).toBe(false);

    await keep();
    // A write by a process that stopped without closing the store: its log changed, not its control file.
    const wal = join(dataDir, 'pg_wal');
    const segment = (await readdir(wal, { withFileTypes: true })).find((e) => e.isFile());
    expect(segment).toBeDefined();
    await appendFile(join(wal, segment!.name), '');
    const times = await stat(join(wal, segment!.name));
    await utimes(join(wal, segment!.name), times.atime, new Date(times.mtimeMs + 1000));
    expect(await readsSnapshot()).toBe(false);

    await keep();
    // A copy of the store put in its place, times and all.
    await cp(dataDir, `${dataDir}.copy`, { recursive: true, preserveTimestamps: true });
    await rm(dataDir, { recursive: true });
    await rename(`${dataDir}.copy`, dataDir);
    expect(await readsSnapshot()).toBe(false);

    await keep();
    await writeFile(snapshotFile, (await readFile(snapshotFile, 'utf8')).slice(0, 100));
    expect(await readsSnapshot()).toBe(false);
  });

  it('opens the store for what it does not hold, and keeps the snapshot valid', async () => {
    await readWhole();
    const plan = await openPlan();
    try {
      expect(plan.fromSnapshot).toBe(true);
      expect(await plan.getResources([])).toEqual([]);
      expect(await exists(snapshotFile)).toBe(true);
      const [alpha] = await plan.getResources(['PostgresRole/alpha']);
      expect(alpha?.spec).toEqual({ instance: 'main' });
      expect(await plan.secrets.appliedHash('PostgresRole/alpha', 'password')).toBeUndefined();
    } finally {
      await plan.close();
    }
    const next = await planOnce();
    expect(next.fromSnapshot).toBe(true);
    expect(next.reads).toEqual(await fromStore());
  });
});
