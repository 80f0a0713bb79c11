import { access, mkdtemp, readFile, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { StewardError } from '../core/errors.js';
import { canonicalJson } from '../core/hash.js';
import { GENESIS_HASH, auditHash, type AuditRowContent } from './audit-hash.js';
import { MIGRATIONS, migrate } from './migrations.js';
import { openStore } from './open-store.js';
import type { OpenedStore } from './open-store.js';
import { openPgClient } from './pg-client.js';
import { backends, type StoreSite } from './test-support/backends.js';
import type { StateRecordInput, Store } from './types.js';

const record = (name: string, overrides: Partial<StateRecordInput> = {}): StateRecordInput => ({
  address: `PostgresRole/${name}`,
  kind: 'PostgresRole',
  name,
  target: 'PostgresInstance/main',
  spec: { instance: 'main', login: true },
  specHash: 'spec-1',
  attributes: { login: true, connectionLimit: 5, memberOf: ['readers'] },
  providerId: `role:${name}`,
  dependencies: ['PostgresInstance/main'],
  protect: false,
  ...overrides,
});

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

async function rejection(promise: Promise<unknown>): Promise<StewardError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof StewardError)) throw new Error(`expected a StewardError, got ${String(error)}`);
  return error;
}

// Only a shared PostgreSQL store can be opened by several processes at once; the embedded one is
// held by a single process (see store-lock.test.ts).
describe.each(backends(inject('pg')).filter((b) => b.name === 'postgres'))('store on the $name backend, opened concurrently', (backend) => {
  afterAll(() => backend.dispose());

    it('serialises concurrent first opens so each migration runs once', async () => {
      const fresh = await backend.site();
      const opens = await Promise.all([fresh.open(), fresh.open(), fresh.open()]);
      try {
        const rows = await opens[0]!.client.query<{ n: number }>('SELECT count(*)::int AS n FROM steward.schema_migrations');
        expect(rows[0]?.n).toBe(MIGRATIONS.length);
      } finally {
        await Promise.all(opens.map((o) => o.store.close()));
      }
    });
});

describe.each(backends(inject('pg')))('store on the $name backend', (backend) => {
  let site: StoreSite;
  let opened: OpenedStore;
  let store: Store;

  beforeAll(async () => {
    site = await backend.site();
    opened = await site.open();
    store = opened.store;
  });
  afterAll(async () => {
    await store.close();
    await backend.dispose();
  });

  it('reports its backend and location without secrets', () => {
    expect(store.backend).toBe(backend.name);
    if (backend.name === 'embedded') {
      expect(store.location).toMatch(/[/\\]\.steward[/\\]state$/);
    } else {
      expect(store.location).toContain('****');
      expect(store.location).not.toContain('steward-embedded');
    }
  });

  it('applies migrations once; reopening changes nothing', async () => {
    const fresh = await backend.site();
    const applied = async (): Promise<readonly { version: number; applied_at: string }[]> => {
      const { store: s, client } = await fresh.open();
      try {
        return await client.query('SELECT version, applied_at::text AS applied_at FROM steward.schema_migrations ORDER BY version');
      } finally {
        await s.close();
      }
    };
    const first = await applied();
    expect(first.map((m) => m.version)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(await applied()).toEqual(first);
  });

  it('puts, gets, lists and versions resources with history', async () => {
    const runId = await store.startRun({ command: 'apply', actor: 'alice' });
    const first = await store.putResource(record('zeta'), { runId, action: 'create' });
    expect(first).toMatchObject({ ...record('zeta'), version: 1 });
    expect(first.createdAt).toMatch(ISO);
    expect(first.updatedAt).toBe(first.createdAt);

    await store.putResource(record('alpha'), { runId, action: 'adopt' });
    const second = await store.putResource(record('zeta', { specHash: 'spec-2', attributes: { login: false } }), {
      runId,
      action: 'update',
    });
    expect(second.version).toBe(2);
    expect(second.attributes).toEqual({ login: false });
    expect(second.createdAt).toBe(first.createdAt);

    expect(await store.getResource('PostgresRole/zeta')).toEqual(second);
    expect(await store.getResource('PostgresRole/nobody')).toBeUndefined();
    const listed = await store.listResources();
    expect(listed.map((r) => r.address)).toEqual(['PostgresRole/alpha', 'PostgresRole/zeta']);
    expect(listed[0]?.dependencies).toEqual(['PostgresInstance/main']);
    // Summaries are the same records without spec, attributes, version and times; getResources reads some whole.
    const summaries = await store.listResourceSummaries();
    expect(summaries).toEqual(
      listed.map(({ address, kind, name, target, specHash, providerId, dependencies, protect }) => ({ address, kind, name, target, specHash, providerId, dependencies, protect })),
    );
    expect(await store.getResources(['PostgresRole/zeta', 'PostgresRole/nobody', 'PostgresRole/alpha'])).toEqual(listed);
    expect(await store.getResources([])).toEqual([]);
    // Asked for in pages: records on either side of a page boundary are both found.
    const many = Array.from({ length: 2_001 }, (_, i) => `PostgresRole/none-${i}`);
    many[0] = 'PostgresRole/zeta';
    many[2_000] = 'PostgresRole/alpha';
    expect(await store.getResources(many)).toEqual(listed);

    await store.removeResource('PostgresRole/zeta', { runId, action: 'delete' });
    expect(await store.getResource('PostgresRole/zeta')).toBeUndefined();
    // Removing again is a no-op: recovery may repeat it.
    await store.removeResource('PostgresRole/zeta', { runId, action: 'delete' });

    const history = await store.history('PostgresRole/zeta');
    expect(history.map((h) => [h.version, h.action, h.specHash])).toEqual([
      [3, 'delete', null],
      [2, 'update', 'spec-2'],
      [1, 'create', 'spec-1'],
    ]);
    expect(history[0]?.attributes).toBeNull();
    expect(history[1]?.attributes).toEqual({ login: false });
    expect(history[0]?.runId).toBe(runId);
    expect(history[0]?.recordedAt).toMatch(ISO);

    // A re-created address continues its version sequence.
    const reborn = await store.putResource(record('zeta'), { runId, action: 'create' });
    expect(reborn.version).toBe(4);
    expect(await store.history('PostgresRole/zeta', 1)).toHaveLength(1);
    const all = await store.history();
    expect(all[0]).toMatchObject({ address: 'PostgresRole/zeta', version: 4 });
    expect(all.some((h) => h.address === 'PostgresRole/alpha')).toBe(true);
  });

  it('writes several records in one transaction, each versioned with its history, or none of them', async () => {
    const runId = await store.startRun({ command: 'apply', actor: 'alice' });
    await store.putResource(record('many-a'), { runId, action: 'create' });
    await store.putResources([
      { record: record('many-a', { attributes: { login: true, connectionLimit: 9 } }), change: { runId, action: 'refresh' } },
      { record: record('many-b'), change: { runId, action: 'refresh' } },
    ]);
    expect(await store.getResource('PostgresRole/many-a')).toMatchObject({ version: 2, attributes: { login: true, connectionLimit: 9 } });
    expect(await store.getResource('PostgresRole/many-b')).toMatchObject({ version: 1 });
    expect((await store.history('PostgresRole/many-a')).map((h) => [h.version, h.action])).toEqual([
      [2, 'refresh'],
      [1, 'create'],
    ]);
    await store.putResources([]);

    // One record refused: neither is written.
    const refused = await rejection(
      store.putResources([
        { record: record('many-c'), change: { runId, action: 'refresh' } },
        { record: record('many-a', { address: 'PostgresRole/elsewhere' }), change: { runId, action: 'refresh' } },
      ]),
    );
    expect(refused.code).toBe('invalid-input');
    expect(await store.getResource('PostgresRole/many-c')).toBeUndefined();
    expect(await store.getResource('PostgresRole/many-a')).toMatchObject({ version: 2 });
  });

  it('lists every record and every summary when there are more than a page of them', async () => {
    const runId = await store.startRun({ command: 'apply', actor: 'alice' });
    // More than one page of full records (2,000) on both backends, and of summaries on the embedded one.
    const names = Array.from({ length: 2_100 }, (_, i) => `paged-${String(i).padStart(4, '0')}`);
    await store.putResources(names.map((name) => ({ record: record(name), change: { runId, action: 'create' } })));
    const paged = (addresses: readonly string[]): readonly string[] => addresses.filter((a) => a.startsWith('PostgresRole/paged-'));
    const expected = names.map((name) => `PostgresRole/${name}`);
    const listed = await store.listResources();
    expect(paged(listed.map((r) => r.address))).toEqual(expected);
    const summaries = await store.listResourceSummaries();
    expect(summaries.map((r) => r.address)).toEqual(listed.map((r) => r.address));
    expect(summaries.find((r) => r.address === 'PostgresRole/paged-2099')).toEqual({
      address: 'PostgresRole/paged-2099',
      kind: 'PostgresRole',
      name: 'paged-2099',
      target: 'PostgresInstance/main',
      specHash: 'spec-1',
      providerId: 'role:paged-2099',
      dependencies: ['PostgresInstance/main'],
      protect: false,
    });
  });

  it('keeps the current version in the resource\'s row only, and reads rows written before that the same way', async () => {
    const runId = await store.startRun({ command: 'apply', actor: 'alice' });
    await store.putResource(record('row-only'), { runId, action: 'create' });
    const stored = async (address: string) =>
      opened.client.query<{ versions: string | null; current: boolean }>(
        `SELECT (SELECT string_agg(version::text, ',' ORDER BY version) FROM steward.resource_history WHERE address = $1) AS versions,
                (SELECT history_id IS NOT NULL FROM steward.resources WHERE address = $1) AS current`,
        [address],
      );
    expect(await stored('PostgresRole/row-only')).toEqual([{ versions: null, current: true }]);
    await store.putResource(record('row-only', { specHash: 'spec-2' }), { runId, action: 'update' });
    expect(await stored('PostgresRole/row-only')).toEqual([{ versions: '1', current: true }]);

    // A record as written before migration 10: its current version is in the history as well.
    await opened.client.query(
      `INSERT INTO steward.resources (address, kind, name, target, spec_hash, attributes, provider_id, dependencies, protect, version, created_at, updated_at, spec)
       VALUES ('PostgresRole/legacy', 'PostgresRole', 'legacy', 'PostgresInstance/main', 'spec-1', '{"login": true}', NULL, '[]', false, 1, now(), now(), NULL)`,
    );
    await opened.client.query(
      `INSERT INTO steward.resource_history (address, version, run_id, action, spec_hash, attributes) VALUES ('PostgresRole/legacy', 1, $1::uuid, 'create', 'spec-1', '{"login": true}')`,
      [runId],
    );
    const versions = async (address: string) => (await store.history(address)).map((h) => [h.version, h.action, h.specHash]);
    expect(await versions('PostgresRole/legacy')).toEqual([[1, 'create', 'spec-1']]);
    expect((await store.putResource(record('legacy', { specHash: 'spec-2' }), { runId, action: 'update' })).version).toBe(2);
    expect(await versions('PostgresRole/legacy')).toEqual([
      [2, 'update', 'spec-2'],
      [1, 'create', 'spec-1'],
    ]);
    await store.putResource(record('legacy', { specHash: 'spec-3' }), { runId, action: 'update' });
    await store.removeResource('PostgresRole/legacy', { runId, action: 'delete' });
    expect(await versions('PostgresRole/legacy')).toEqual([
      [4, 'delete', null],
      [3, 'update', 'spec-3'],
      [2, 'update', 'spec-2'],
      [1, 'create', 'spec-1'],
    ]);
    expect(await stored('PostgresRole/legacy')).toEqual([{ versions: '1,2,3,4', current: null }]);
    // Newest first across both places.
    expect((await store.history(undefined, 3)).map((h) => [h.address, h.version])).toEqual([
      ['PostgresRole/legacy', 4],
      ['PostgresRole/legacy', 3],
      ['PostgresRole/legacy', 2],
    ]);
  });

  it('rejects inconsistent records and unknown runs', async () => {
    const runId = await store.startRun({ command: 'apply', actor: 'alice' });
    const mismatch = await rejection(store.putResource(record('x', { address: 'PostgresRole/y' }), { runId, action: 'create' }));
    expect(mismatch.code).toBe('invalid-input');
    const unknownRun = await rejection(
      store.putResource(record('x'), { runId: '00000000-0000-4000-8000-000000000000', action: 'create' }),
    );
    expect(unknownRun.code).toBe('invalid-input');
    expect(unknownRun.message).toContain('00000000-0000-4000-8000-000000000000');
    expect(await store.getResource('PostgresRole/x')).toBeUndefined();
    const unknownIntent = await rejection(
      store.recordIntents([{ runId: '00000000-0000-4000-8000-000000000000', actor: 'alice', address: 'PostgresRole/x', action: 'create', beforeHash: null, afterHash: null }]),
    );
    expect(unknownIntent.message).toContain('00000000-0000-4000-8000-000000000000');
    expect(await store.unresolvedIntents()).toEqual([]);
  });

  it('keeps a run that intents or history name, as a foreign key would', async () => {
    const runId = await store.startRun({ command: 'apply', actor: 'alice' });
    await store.putResource(record('kept'), { runId, action: 'create' });
    // The first version moves into the history; the second is named by the resource's row.
    await store.putResource(record('kept', { specHash: 'spec-2' }), { runId, action: 'update' });
    const sqlState = async (sql: string, params: readonly string[]): Promise<string | undefined> =>
      opened.client.query(sql, params).then(
        () => undefined,
        (error: unknown) => (error as { code?: string }).code,
      );
    expect(await sqlState('DELETE FROM steward.runs WHERE id = $1', [runId])).toBe('23503');
    expect(await sqlState("UPDATE steward.runs SET id = '00000000-0000-4000-8000-000000000001' WHERE id = $1", [runId])).toBe('23503');
    expect(await sqlState("UPDATE steward.resource_history SET run_id = '00000000-0000-4000-8000-000000000001' WHERE run_id = $1", [runId])).toBe('23503');
    expect(await sqlState("UPDATE steward.resources SET run_id = '00000000-0000-4000-8000-000000000001' WHERE run_id = $1", [runId])).toBe('23503');
    // A run that only a batch's intent group names is kept too.
    const grouped = await store.startRun({ command: 'apply', actor: 'alice' });
    await store.recordIntents(['g1', 'g2'].map((n) => ({ runId: grouped, actor: 'alice', address: `PostgresRole/${n}`, action: 'create', beforeHash: null, afterHash: null })));
    expect(await sqlState('DELETE FROM steward.runs WHERE id = $1', [grouped])).toBe('23503');
    expect(await sqlState("UPDATE steward.intent_groups SET run_id = '00000000-0000-4000-8000-000000000001' WHERE run_id = $1", [grouped])).toBe('23503');
    const unused = await store.startRun({ command: 'plan', actor: 'alice' });
    expect(await sqlState('DELETE FROM steward.runs WHERE id = $1', [unused])).toBeUndefined();
  });

  it('records runs from start to finish, audited', async () => {
    const runId = await store.startRun({ command: 'apply', actor: 'bob' });
    expect(runId).toMatch(/^[0-9a-f-]{36}$/);
    await store.finishRun(runId, 'partial', { created: 1, failed: 1 });
    const [row] = await opened.client.query<{ status: string; summary: unknown; finished: boolean }>(
      'SELECT status, summary, finished_at IS NOT NULL AS finished FROM steward.runs WHERE id = $1',
      [runId],
    );
    expect(row).toEqual({ status: 'partial', summary: { created: 1, failed: 1 }, finished: true });
    const audit = await store.audit.list({ runId });
    expect(audit.map((e) => [e.action, e.outcome, e.actor])).toEqual([
      ['run.start', 'info', 'bob'],
      ['run.finish', 'failed', 'bob'],
    ]);
    expect(audit[1]?.detail).toEqual({ status: 'partial', summary: { created: 1, failed: 1 } });
    expect((await rejection(store.finishRun(runId, 'failed', null))).code).toBe('not-found');
    expect((await rejection(store.finishRun('not-a-run', 'failed', null))).code).toBe('not-found');
  });

  it('records an intent with its pending audit entry and resolves it with the outcome', async () => {
    const runId = await store.startRun({ command: 'apply', actor: 'carol' });
    const intent = await store.recordIntent({
      runId,
      actor: 'carol',
      address: 'PostgresRole/billing-bot',
      action: 'create',
      beforeHash: null,
      afterHash: 'b'.repeat(64),
      detail: { reason: 'declared in roles.yaml' },
    });
    expect(intent).toMatchObject({ runId, actor: 'carol', address: 'PostgresRole/billing-bot', action: 'create' });
    expect(intent.detail).toEqual({ reason: 'declared in roles.yaml' });
    expect(intent.createdAt).toMatch(ISO);
    expect((await store.unresolvedIntents()).map((i) => i.id)).toContain(intent.id);

    await store.resolveIntent(intent, { status: 'succeeded', afterHash: 'c'.repeat(64), detail: { ms: 12 } });
    expect((await store.unresolvedIntents()).map((i) => i.id)).not.toContain(intent.id);

    const entries = await store.audit.list({ address: 'PostgresRole/billing-bot' });
    expect(entries.map((e) => [e.outcome, e.afterHash])).toEqual([
      ['pending', 'b'.repeat(64)],
      ['succeeded', 'c'.repeat(64)],
    ]);
    expect(entries[0]?.detail).toEqual({ intentId: intent.id, detail: { reason: 'declared in roles.yaml' } });
    expect(entries[1]?.detail).toEqual({ intentId: intent.id, detail: { ms: 12 } });

    // Resolving twice is refused, and writes nothing.
    const again = await rejection(store.resolveIntent(intent, { status: 'failed', error: 'again' }));
    expect(again.code).toBe('not-found');
    expect(await store.audit.list({ address: 'PostgresRole/billing-bot' })).toHaveLength(2);

    const failing = await store.recordIntent({ ...intent, address: 'PostgresRole/flaky', afterHash: null });
    await store.resolveIntent(failing, { status: 'failed', error: 'permission denied' });
    const [, failed] = await store.audit.list({ address: 'PostgresRole/flaky' });
    expect(failed).toMatchObject({ outcome: 'failed', error: 'permission denied', afterHash: null });
  });

  it('fails closed: no audit entry, no intent (and no resolution)', async () => {
    const runId = await store.startRun({ command: 'apply', actor: 'dave' });
    const pendingBefore = (await store.unresolvedIntents()).length;
    const resolvable = await store.recordIntent({
      runId,
      actor: 'dave',
      address: 'PostgresRole/resolvable',
      action: 'update',
      beforeHash: 'd'.repeat(64),
      afterHash: 'e'.repeat(64),
    });
    // Move the audit table away (rather than drop it) so the store stays usable afterwards.
    await opened.client.exec('ALTER TABLE steward.audit_log RENAME TO audit_log_away');
    try {
      const error = await rejection(
        store.recordIntent({
          runId,
          actor: 'dave',
          address: 'PostgresRole/never',
          action: 'create',
          beforeHash: null,
          afterHash: 'f'.repeat(64),
        }),
      );
      expect(error.code).toBe('audit-write-failed');
      expect(error.message).toMatch(/must not go ahead/);
      const rows = await opened.client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM steward.intents WHERE address = 'PostgresRole/never'`,
      );
      expect(rows[0]?.n).toBe(0);

      const resolveError = await rejection(store.resolveIntent(resolvable, { status: 'succeeded' }));
      expect(resolveError.code).toBe('audit-write-failed');
      expect((await rejection(store.audit.append({ ...auditInput(), actor: 'dave' }))).code).toBe('audit-write-failed');
      expect((await rejection(store.startRun({ command: 'apply', actor: 'dave' }))).code).toBe('audit-write-failed');
    } finally {
      await opened.client.exec('ALTER TABLE steward.audit_log_away RENAME TO audit_log');
    }
    // Read back with the log in place: a batch's pending intents are listed from their audit entry.
    expect((await store.unresolvedIntents()).map((i) => i.id)).toContain(resolvable.id);
    await store.resolveIntent(resolvable, { status: 'succeeded' });
    expect((await store.unresolvedIntents()).length).toBe(pendingBefore);
  });

  it('fails closed when the audit table is dropped', async () => {
    const dropSite = await backend.site();
    const { store: doomed, client } = await dropSite.open();
    try {
      const runId = await doomed.startRun({ command: 'apply', actor: 'erin' });
      await client.exec('DROP TABLE steward.audit_log');
      const error = await rejection(
        doomed.recordIntent({ runId, actor: 'erin', address: 'PostgresRole/x', action: 'create', beforeHash: null, afterHash: null }),
      );
      expect(error.code).toBe('audit-write-failed');
      expect(await doomed.unresolvedIntents()).toEqual([]);
      const rows = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM steward.intents');
      expect(rows[0]?.n).toBe(0);
    } finally {
      await doomed.close();
    }
  });

  it('keeps unresolved intents across reopening (a crash mid-change)', async () => {
    const crashSite = await backend.site();
    const first = await crashSite.open();
    const runId = await first.store.startRun({ command: 'apply', actor: 'frank' });
    const intent = await first.store.recordIntent({
      runId,
      actor: 'frank',
      address: 'PostgresRole/interrupted',
      action: 'delete',
      beforeHash: '1'.repeat(64),
      afterHash: null,
    });
    await first.store.close();
    const second = await crashSite.open();
    try {
      expect(await second.store.unresolvedIntents()).toEqual([intent]);
      await second.store.resolveIntent(intent, { status: 'recovered', detail: { observed: 'absent' } });
      expect(await second.store.unresolvedIntents()).toEqual([]);
      expect((await second.store.audit.verify()).ok).toBe(true);
    } finally {
      await second.store.close();
    }
  });
});

function auditInput(): Parameters<Store['audit']['append']>[0] {
  return {
    actor: 'tester',
    runId: null,
    address: null,
    action: 'note',
    beforeHash: null,
    afterHash: null,
    outcome: 'info',
    error: null,
  };
}

describe('embedded store files', () => {
  it('creates .steward/state on first use, with a .gitignore that ignores everything', async () => {
    const projectDir = await mkdtemp(join(tmpdir(), 'steward-store-files-'));
    try {
      const store = await openStore({ projectDir, command: 'init' });
      try {
        expect(store.backend).toBe('embedded');
        expect(store.location).toBe(join(await realpath(projectDir), '.steward', 'state'));
        await access(join(projectDir, '.steward', 'state', 'PG_VERSION'));
        expect(await readFile(join(projectDir, '.steward', '.gitignore'), 'utf8')).toBe('*\n');
      } finally {
        await store.close();
      }
    } finally {
      await rm(projectDir, { recursive: true, force: true });
    }
  });
});

describe.each(backends(inject('pg')).filter((b) => b.name === 'postgres'))('store schema upgrades on the $name backend', (backend) => {
  afterAll(() => backend.dispose());

  it("gives batch entries written before migration 11 the addresses their details name", async () => {
    const site = await backend.site();
    const old = openPgClient(site.databaseUrl!, 'steward-test');
    try {
      await migrate(old, MIGRATIONS.filter((m) => m.version < 11));
      // A batch's pending entry and one outcome, chained, as that schema stored them.
      const contents: AuditRowContent[] = [];
      const entry = (fields: Omit<AuditRowContent, 'seq' | 'prevHash' | 'time' | 'actor' | 'runId' | 'beforeHash' | 'afterHash' | 'error'>): void => {
        const prevHash = contents.length === 0 ? GENESIS_HASH : auditHash(contents.at(-1)!);
        contents.push({ seq: contents.length + 1, time: '2026-01-01T00:00:00.000Z', actor: 'alice', runId: null, beforeHash: null, afterHash: null, error: null, prevHash, ...fields });
      };
      entry({ address: null, action: 'intents', outcome: 'pending', detail: canonicalJson({ group: 'g', intents: [{ address: 'PostgresRole/a' }, { address: 'PostgresRole/b' }] }) });
      entry({ address: 'PostgresRole/a', action: 'create', outcome: 'failed', detail: null });
      for (const c of contents) {
        await old.query(
          `INSERT INTO steward.audit_log (seq, "time", actor, run_id, address, action, before_hash, after_hash, outcome, error, detail, prev_hash, hash)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
          [c.seq, c.time, c.actor, c.runId, c.address, c.action, c.beforeHash, c.afterHash, c.outcome, c.error, c.detail, c.prevHash, auditHash(c)],
        );
      }
      await old.query('UPDATE steward.audit_head SET last_seq = 2, last_hash = $1 WHERE id = 1', [auditHash(contents[1]!)]);
    } finally {
      await old.close();
    }

    const { store, client } = await site.open();
    try {
      expect(await client.query('SELECT seq::int AS seq, addresses FROM steward.audit_log ORDER BY seq')).toEqual([
        { seq: 1, addresses: ['PostgresRole/a', 'PostgresRole/b'] },
        { seq: 2, addresses: null },
      ]);
      const seqs = async (address: string) => (await store.audit.list({ address })).map((e) => e.seq);
      expect(await seqs('PostgresRole/a')).toEqual([1, 2]);
      expect(await seqs('PostgresRole/b')).toEqual([1]);
      expect(await store.audit.verify()).toEqual({ ok: true, entries: 2, problems: [] });
    } finally {
      await store.close();
    }
  });
});
