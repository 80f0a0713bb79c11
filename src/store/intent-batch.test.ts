import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { StewardError } from '../core/errors.js';
import { batchIntentAddresses } from './audit-pages.js';
import { backends, withFreshStore } from './test-support/backends.js';
import type { IntentInput, StateRecordInput, Store } from './types.js';

function intent(runId: string, i: number): IntentInput {
  return {
    runId,
    actor: 'alice@ci',
    address: `PostgresRole/r${i}`,
    action: 'create',
    beforeHash: null,
    afterHash: `${i}`.padStart(64, 'a'),
    detail: i % 2 === 0 ? { fields: ['login'], note: 'naïve "quoted" ☃' } : undefined,
  };
}

function record(i: number, spec: StateRecordInput['spec'] = { instance: 'main' }): StateRecordInput {
  return {
    address: `PostgresRole/r${i}`,
    kind: 'PostgresRole',
    name: `r${i}`,
    target: 'PostgresInstance/main',
    specHash: 'c'.repeat(64),
    spec,
    attributes: { login: i % 2 === 0, comment: null },
    providerId: `${1000 + i}`,
    dependencies: ['PostgresInstance/main'],
    protect: false,
  };
}

describe.each(backends(inject('pg')))('intents in batches on the $name backend', (backend) => {
  afterAll(() => backend.dispose());

  const withStore = (body: (store: Store) => Promise<void>): Promise<void> => withFreshStore(backend, body);

  it('records many intents and their pending audit entries at once, then resolves them with their records', async () => {
    await withStore(async (store) => {
      const runId = await store.startRun({ command: 'apply', actor: 'alice@ci' });
      const one = await store.recordIntent(intent(runId, 0));
      const intents = await store.recordIntents([1, 2, 3, 4].map((i) => intent(runId, i)));
      expect(intents.map((i) => i.address)).toEqual(['PostgresRole/r1', 'PostgresRole/r2', 'PostgresRole/r3', 'PostgresRole/r4']);
      expect(intents[1]?.detail).toEqual({ fields: ['login'], note: 'naïve "quoted" ☃' });
      expect(intents[0]?.detail).toBeNull();
      expect((await store.unresolvedIntents()).map((i) => i.id).sort()).toEqual([one.id, ...intents.map((i) => i.id)].sort());

      await store.putResource(record(3), { runId, action: 'create' });
      await store.completeIntents([
        { intent: intents[0]!, outcome: { status: 'succeeded', afterHash: 'd'.repeat(64) }, put: { record: record(1), change: { runId, action: 'create' } } },
        { intent: intents[1]!, outcome: { status: 'failed', error: 'verification failed' } },
        { intent: intents[2]!, outcome: { status: 'succeeded' }, put: { record: record(3, null), change: { runId, action: 'update' } } },
        { intent: intents[3]!, outcome: { status: 'succeeded' }, put: { record: record(4), change: { runId, action: 'adopt' } } },
      ]);
      expect((await store.unresolvedIntents()).map((i) => i.id)).toEqual([one.id]);

      // The records read back exactly as `putResource` would have written them.
      expect(await store.getResource('PostgresRole/r1')).toMatchObject({ ...record(1), version: 1 });
      expect(await store.getResource('PostgresRole/r2')).toBeUndefined();
      expect(await store.getResource('PostgresRole/r3')).toMatchObject({ ...record(3, null), version: 2 });
      expect((await store.history('PostgresRole/r3')).map((h) => [h.version, h.action])).toEqual([
        [2, 'update'],
        [1, 'create'],
      ]);

      // Audit: the intent recorded alone has its pending entry, the batch's four share one, then
      // the three that succeeded share one outcome entry, and the failure has its own; the chain verifies.
      const entries = (await store.audit.list({ runId })).filter((e) => e.address?.startsWith('PostgresRole/') || e.action === 'intents');
      expect(entries.map((e) => [e.address ?? e.action, e.outcome])).toEqual([
        ['PostgresRole/r0', 'pending'],
        ['intents', 'pending'],
        ['intents', 'succeeded'],
        ['PostgresRole/r2', 'failed'],
      ]);
      expect(entries[1]).toMatchObject({ actor: 'alice@ci', runId, beforeHash: null, afterHash: null });
      expect(entries[1]?.detail).toEqual({
        group: intents[0]!.group,
        intents: intents.map((i) => ({ intentId: i.id, address: i.address, action: 'create', beforeHash: null, afterHash: i.afterHash, detail: i.detail })),
      });
      // Each change that succeeded, with the hash it ended with (the outcome's own when it gave one).
      expect(entries[2]).toMatchObject({ actor: 'alice@ci', runId, address: null, error: null });
      expect(entries[2]?.detail).toEqual({
        group: intents[0]!.group,
        intents: [0, 2, 3].map((k) => ({
          intentId: intents[k]!.id,
          address: intents[k]!.address,
          action: 'create',
          beforeHash: null,
          afterHash: k === 0 ? 'd'.repeat(64) : intents[k]!.afterHash,
          detail: null,
        })),
      });
      // Looking up one of them finds the batch's entry, then its outcome; the last one alone is the outcome.
      expect((await store.audit.list({ address: 'PostgresRole/r2' })).map((e) => [e.action, e.outcome])).toEqual([
        ['intents', 'pending'],
        ['create', 'failed'],
      ]);
      expect((await store.audit.list({ address: 'PostgresRole/r4' })).map((e) => [e.action, e.outcome])).toEqual([
        ['intents', 'pending'],
        ['intents', 'succeeded'],
      ]);
      expect((await store.audit.list({ address: 'PostgresRole/r2', last: 1 })).map((e) => e.outcome)).toEqual(['failed']);
      expect((await store.audit.list({ address: 'PostgresRole/r0' })).map((e) => e.outcome)).toEqual(['pending']);
      expect(entries.find((e) => e.address === 'PostgresRole/r2' && e.outcome === 'failed')).toMatchObject({ error: 'verification failed', afterHash: intents[1]?.afterHash });
      expect(await store.audit.verify()).toEqual({ ok: true, entries: (await store.audit.list()).length, problems: [] });
    });
  });

  it('records nothing when one intent of the batch cannot be recorded', async () => {
    await withStore(async (store) => {
      const runId = await store.startRun({ command: 'apply', actor: 'alice@ci' });
      const before = (await store.audit.list()).length;
      const failure = store.recordIntents([intent(runId, 1), { ...intent(runId, 2), runId: '00000000-0000-0000-0000-000000000000' }]);
      await expect(failure).rejects.toSatisfy((e: unknown) => e instanceof StewardError && e.code === 'audit-write-failed');
      // The same for a batch recorded as one group, all naming a run that does not exist.
      const unknownRun = '00000000-0000-0000-0000-000000000000';
      const group = store.recordIntents([1, 2, 3].map((i) => ({ ...intent(runId, i), runId: unknownRun })));
      await expect(group).rejects.toSatisfy((e: unknown) => e instanceof StewardError && e.code === 'audit-write-failed');
      expect(await store.unresolvedIntents()).toEqual([]);
      expect(await store.audit.list()).toHaveLength(before);
      expect((await store.audit.verify()).ok).toBe(true);
    });
  });

  it('writes nothing when a record of the batch is refused, and leaves the intents pending', async () => {
    await withStore(async (store) => {
      const runId = await store.startRun({ command: 'apply', actor: 'alice@ci' });
      const intents = await store.recordIntents([intent(runId, 1), intent(runId, 2)]);
      const bad = { ...record(2), address: 'PostgresRole/other' };
      await expect(
        store.completeIntents([
          { intent: intents[0]!, outcome: { status: 'succeeded' }, put: { record: record(1), change: { runId, action: 'create' } } },
          { intent: intents[1]!, outcome: { status: 'succeeded' }, put: { record: bad, change: { runId, action: 'create' } } },
        ]),
      ).rejects.toThrow(/must be 'PostgresRole\/r2'/);
      expect(await store.getResource('PostgresRole/r1')).toBeUndefined();
      expect(await store.unresolvedIntents()).toHaveLength(2);
      expect((await store.audit.verify()).ok).toBe(true);
    });
  });

  it('lists the intents of a batch as they were recorded until they are resolved together, and only once', async () => {
    await withStore(async (store) => {
      const runId = await store.startRun({ command: 'apply', actor: 'alice@ci' });
      const intents = await store.recordIntents([1, 2, 3].map((i) => intent(runId, i)));
      // One batch: one group, and every intent of it keeps its own id.
      expect(new Set(intents.map((i) => i.group)).size).toBe(1);
      expect(new Set(intents.map((i) => i.id)).size).toBe(3);
      expect([...(await store.unresolvedIntents())].sort((a, b) => a.address.localeCompare(b.address))).toEqual(intents);

      await store.completeIntents(intents.map((i) => ({ intent: i, outcome: { status: 'succeeded' as const } })));
      expect(await store.unresolvedIntents()).toEqual([]);
      const again = store.completeIntents([{ intent: intents[1]!, outcome: { status: 'succeeded' } }]);
      await expect(again).rejects.toSatisfy((e: unknown) => e instanceof StewardError && e.code === 'not-found' && e.message.includes(intents[1]!.id));
      const outcomes = (await store.audit.list({ runId })).filter((e) => e.outcome !== 'pending' && (e.action === 'intents' || e.address?.startsWith('PostgresRole/')));
      expect(outcomes.map((e) => [e.action, e.outcome, batchIntentAddresses(e)])).toEqual([['intents', 'succeeded', intents.map((i) => i.address)]]);
    });
  });

  it('resolves the intents of a batch one by one when it falls back to one change at a time', async () => {
    await withStore(async (store) => {
      const runId = await store.startRun({ command: 'apply', actor: 'alice@ci' });
      const intents = await store.recordIntents([1, 2, 3].map((i) => intent(runId, i)));
      await store.resolveIntent(intents[1]!, { status: 'failed', error: 'permission denied' });
      expect((await store.unresolvedIntents()).map((i) => i.id).sort()).toEqual([intents[0]!.id, intents[2]!.id].sort());
      await expect(store.resolveIntent(intents[1]!, { status: 'succeeded' })).rejects.toSatisfy((e: unknown) => e instanceof StewardError && e.code === 'not-found');

      await store.completeIntents([
        { intent: intents[0]!, outcome: { status: 'succeeded' }, put: { record: record(1), change: { runId, action: 'create' } } },
        { intent: intents[2]!, outcome: { status: 'recovered' } },
      ]);
      expect(await store.unresolvedIntents()).toEqual([]);
      expect(await store.getResource('PostgresRole/r1')).toMatchObject({ ...record(1), version: 1 });
      const entries = (await store.audit.list({ runId })).filter((e) => e.address?.startsWith('PostgresRole/') || e.action === 'intents');
      expect(entries.map((e) => [e.address ?? e.action, e.outcome])).toEqual([
        ['intents', 'pending'],
        ['PostgresRole/r2', 'failed'],
        ['PostgresRole/r1', 'succeeded'],
        ['PostgresRole/r3', 'recovered'],
      ]);
      expect(entries[1]).toMatchObject({ error: 'permission denied', detail: { intentId: intents[1]!.id } });
      expect((await store.audit.verify()).ok).toBe(true);
    });
  });

  it('keeps a batch\'s intents in its audit entry only, and still reads groups that kept them in their row', async () => {
    const site = await backend.site();
    const { store, client } = await site.open();
    try {
      const runId = await store.startRun({ command: 'apply', actor: 'alice@ci' });
      const intents = await store.recordIntents([1, 2].map((i) => intent(runId, i)));
      const entry = (await store.audit.list({ runId })).find((e) => e.action === 'intents');
      const [row] = await client.query<{ members: unknown; audit_seq: string; ids: readonly string[] }>(
        'SELECT members, audit_seq::text AS audit_seq, member_ids::text[] AS ids FROM steward.intent_groups WHERE id = $1::uuid',
        [intents[0]!.group!],
      );
      expect(row).toEqual({ members: null, audit_seq: String(entry?.seq), ids: intents.map((i) => i.id) });

      // Two groups as migration 7 wrote them: members in the row, as [id, actor, address, action, before, after, detail].
      const old = (group: string, ids: readonly string[]) =>
        client.query(`INSERT INTO steward.intent_groups (id, run_id, created_at, members) VALUES ($1::uuid, $2::uuid, now(), $3::jsonb)`, [
          group,
          runId,
          JSON.stringify(ids.map((id, i) => [id, 'bob@ci', `PostgresRole/old${i}`, 'update', 'b'.repeat(64), 'c'.repeat(64), i === 0 ? { was: 'row' } : null])),
        ]);
      const [g1, g2, a, b, c, d] = Array.from({ length: 6 }, () => randomUUID());
      await old(g1!, [a!, b!]);
      await old(g2!, [c!, d!]);
      const pending = await store.unresolvedIntents();
      expect(pending.map((i) => i.id).sort()).toEqual([...intents.map((i) => i.id), a, b, c, d].sort());
      const fromRow = pending.find((i) => i.id === a)!;
      expect(fromRow).toMatchObject({ group: g1, actor: 'bob@ci', address: 'PostgresRole/old0', action: 'update', detail: { was: 'row' } });

      // All of an old group at once; one of the other alone (its members move to rows first).
      await store.completeIntents(pending.filter((i) => i.group === g1).map((i) => ({ intent: i, outcome: { status: 'succeeded' as const } })));
      await store.resolveIntent(pending.find((i) => i.id === c)!, { status: 'failed', error: 'no' });
      await store.completeIntents(intents.map((i) => ({ intent: i, outcome: { status: 'succeeded' as const } })));
      expect((await store.unresolvedIntents()).map((i) => i.id)).toEqual([d]);
      expect((await store.audit.verify()).ok).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('lists more records than one page holds, every one once, in byte order', async () => {
    await withStore(async (store) => {
      const runId = await store.startRun({ command: 'apply', actor: 'alice@ci' });
      // Names that sort differently by bytes and by a natural-language collation.
      const names = Array.from({ length: 4500 }, (_, i) => (i % 3 === 0 ? `R${i}` : i % 3 === 1 ? `r${i}` : `_${i}`));
      for (let i = 0; i < names.length; i += 500) {
        const slice = names.slice(i, i + 500);
        const intents = await store.recordIntents(slice.map((name) => ({ ...intent(runId, 0), address: `PostgresRole/${name}` })));
        await store.completeIntents(
          slice.map((name, j) => ({
            intent: intents[j]!,
            outcome: { status: 'succeeded' as const },
            put: { record: { ...record(0), address: `PostgresRole/${name}`, name }, change: { runId, action: 'create' as const } },
          })),
        );
      }
      const listed = await store.listResources();
      const expected = names.map((n) => `PostgresRole/${n}`).sort((a, b) => (Buffer.from(a) < Buffer.from(b) ? -1 : 1));
      expect(listed.map((r) => r.address)).toEqual(expected);
      expect(listed[0]).toEqual(await store.getResource(listed[0]!.address));
    });
  });
});
