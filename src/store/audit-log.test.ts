import { afterAll, describe, expect, inject, it } from 'vitest';
import { StewardError } from '../core/errors.js';
import { canonicalJson, sha256Hex } from '../core/hash.js';
import { GENESIS_HASH, auditHash } from './audit-hash.js';
import { fetchAuditPage, fetchAuditPageFast } from './audit-pages.js';
import type { SqlClient } from './sql-client.js';
import { backends } from './test-support/backends.js';
import type { AuditEntry, AuditInput, Store } from './types.js';

/** Changes the log behind the append-only trigger's back, as an attacker with superuser would. */
async function tamper(client: SqlClient, script: string): Promise<void> {
  await client.transaction((tx) => tx.exec(`SET LOCAL session_replication_role = replica; ${script}`));
}

function input(i: number, overrides: Partial<AuditInput> = {}): AuditInput {
  return {
    actor: i % 2 === 0 ? 'alice@ci' : 'agent "steward"',
    runId: i % 3 === 0 ? null : `run-${i % 3}`,
    address: i % 4 === 0 ? null : `PostgresRole/r${i % 4}`,
    action: 'update',
    beforeHash: i === 1 ? null : 'a'.repeat(64),
    afterHash: 'b'.repeat(64),
    outcome: 'succeeded',
    error: i % 5 === 0 ? 'line one\nline two\u0001' : null,
    detail: i % 2 === 0 ? { z: [1, 2.5, -0, 1e21], a: 'naïve ☃ 𝄞 "quoted" \\ /', nested: { b: null, a: true } } : undefined,
    ...overrides,
  };
}

async function seed(store: Store, count: number): Promise<readonly AuditEntry[]> {
  const entries: AuditEntry[] = [];
  for (let i = 1; i <= count; i++) entries.push(await store.audit.append(input(i)));
  return entries;
}

function withoutHash(entry: AuditEntry): Omit<AuditEntry, 'hash'> {
  const { hash: _hash, ...rest } = entry;
  return rest;
}

describe.each(backends(inject('pg')))('audit log on the $name backend', (backend) => {
  afterAll(() => backend.dispose());

  /** A fresh store with `count` entries; closed after `body`. */
  async function withLog(count: number, body: (store: Store, client: SqlClient, entries: readonly AuditEntry[]) => Promise<void>): Promise<void> {
    const { store, client } = await (await backend.site()).open();
    try {
      await body(store, client, await seed(store, count));
    } finally {
      await store.close();
    }
  }

  it('chains entries: seq from 1, each hash over the canonical JSON, each linked to the one before', async () => {
    await withLog(10, async (store, _client, entries) => {
      expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(entries[0]?.prevHash).toBe(GENESIS_HASH);
      entries.forEach((entry, i) => {
        expect(entry.hash).toBe(sha256Hex(canonicalJson(withoutHash(entry))));
        if (i > 0) expect(entry.prevHash).toBe(entries[i - 1]?.hash);
        expect(entry.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      });
      expect(await store.audit.list()).toEqual(entries);
      // -0 and 1e21 come back as JSON gives them; the detail is what was hashed.
      expect(entries[1]?.detail).toEqual({ z: [1, 2.5, 0, 1e21], a: 'naïve ☃ 𝄞 "quoted" \\ /', nested: { b: null, a: true } });
      expect(entries[0]?.detail).toBeNull();
      expect(await store.audit.verify()).toEqual({ ok: true, entries: 10, problems: [] });
    });
  });

  it('keeps awkward text exact: separators, control characters, empty strings, unicode', async () => {
    const awkward = ['', '=', '\x1d', 'a\x1fb', 'row\x1erow', 'tab\tnew\nline\r', '\u0001\u007f', '"quoted" \\ back', '𝄞 ☃ naïve', '\u2028'];
    await withLog(0, async (store, client) => {
      const appended: AuditEntry[] = [];
      for (const [i, text] of awkward.entries()) {
        appended.push(
          await store.audit.append(
            input(i + 1, { actor: `actor ${text}`, address: text, error: text, runId: text, detail: { text, [text]: [text] } }),
          ),
        );
      }
      expect((await store.audit.list()).map((e) => [e.address, e.error, e.runId, e.detail])).toEqual(
        awkward.map((text) => [text, text, text, { text, [text]: [text] }]),
      );
      // Both page encodings read the same rows: the fast one falls back where a value holds a separator.
      expect(await fetchAuditPageFast(client, { afterSeq: 0, limit: 100 })).toEqual(await fetchAuditPage(client, { afterSeq: 0, limit: 100 }));
      expect(await fetchAuditPageFast(client, { afterSeq: 0, limit: 3 })).toEqual(await fetchAuditPage(client, { afterSeq: 0, limit: 3 }));
      expect(await store.audit.verify()).toEqual({ ok: true, entries: awkward.length, problems: [] });
      const lines: string[] = [];
      await store.audit.exportJsonl((line) => {
        lines.push(line);
      });
      expect(lines.map((line) => JSON.parse(line) as AuditEntry)).toEqual(appended);

      // NULL and the empty string are different values: turning one into the other is an edit.
      await tamper(client, `UPDATE steward.audit_log SET error = NULL WHERE seq = 1`);
      expect((await store.audit.verify()).problems).toEqual([{ seq: 1, problem: 'edited', message: expect.any(String) }]);
    });
  });

  it('is append-only: updates, deletes and truncation are refused', async () => {
    await withLog(3, async (store, client) => {
      const refused = async (sql: string): Promise<string> => {
        const error: unknown = await client.exec(sql).then(
          () => undefined,
          (e: unknown) => e,
        );
        return error instanceof Error ? error.message : 'not refused';
      };
      expect(await refused(`UPDATE steward.audit_log SET actor = 'mallory' WHERE seq = 2`)).toMatch(/append-only/);
      expect(await refused('DELETE FROM steward.audit_log WHERE seq = 3')).toMatch(/append-only/);
      expect(await refused('TRUNCATE steward.audit_log')).toMatch(/append-only/);
      expect(await refused('UPDATE steward.audit_head SET last_seq = 1')).toMatch(/only moves forward/);
      expect(await refused('DELETE FROM steward.audit_head')).toMatch(/only moves forward/);
      expect((await store.audit.verify()).ok).toBe(true);
    });
  });

  it('serialises concurrent appends into one unbroken chain', async () => {
    await withLog(0, async (store) => {
      const appended = await Promise.all(Array.from({ length: 24 }, (_, i) => store.audit.append(input(i + 1))));
      expect(appended.map((e) => e.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
      expect(await store.audit.verify()).toEqual({ ok: true, entries: 24, problems: [] });
    });
  });

  it('finds an edited entry, naming its seq', async () => {
    await withLog(10, async (store, client) => {
      await tamper(client, `UPDATE steward.audit_log SET actor = 'mallory' WHERE seq = 4`);
      const result = await store.audit.verify();
      expect(result.ok).toBe(false);
      expect(result.entries).toBe(10);
      expect(result.problems).toEqual([{ seq: 4, problem: 'edited', message: expect.stringContaining('entry 4') }]);
    });
  });

  it('finds a single changed byte inside the detail', async () => {
    await withLog(6, async (store, client) => {
      await tamper(client, `UPDATE steward.audit_log SET detail = replace(detail, '2.5', '2.6') WHERE seq = 6`);
      expect((await store.audit.verify()).problems).toEqual([{ seq: 6, problem: 'edited', message: expect.any(String) }]);
    });
  });

  it('finds an entry rewritten with a recomputed hash by the broken link after it', async () => {
    await withLog(10, async (store, client, entries) => {
      const original = entries[3]!;
      const forged = { ...original, actor: 'mallory' };
      const forgedHash = auditHash({ ...forged, detail: forged.detail === null ? null : canonicalJson(forged.detail) });
      await tamper(client, `UPDATE steward.audit_log SET actor = 'mallory', hash = '${forgedHash}' WHERE seq = 4`);
      expect((await store.audit.verify()).problems).toEqual([
        { seq: 4, problem: 'edited', message: expect.stringContaining('recomputed') },
      ]);
    });
  });

  it('finds a deleted entry by the gap it leaves', async () => {
    await withLog(10, async (store, client) => {
      await tamper(client, 'DELETE FROM steward.audit_log WHERE seq = 5');
      const result = await store.audit.verify();
      expect(result.entries).toBe(9);
      expect(result.problems).toEqual([{ seq: 5, problem: 'missing', message: 'entry 5 is missing (deleted)' }]);
    });
  });

  it('finds reordered entries, naming where each came from', async () => {
    await withLog(10, async (store, client) => {
      await tamper(
        client,
        `UPDATE steward.audit_log SET seq = 1000 WHERE seq = 3;
         UPDATE steward.audit_log SET seq = 3 WHERE seq = 6;
         UPDATE steward.audit_log SET seq = 6 WHERE seq = 1000;`,
      );
      expect((await store.audit.verify()).problems).toEqual([
        { seq: 3, problem: 'reordered', message: 'entry 3 was moved: the entry stored there is entry 6' },
        { seq: 6, problem: 'reordered', message: 'entry 6 was moved: the entry stored there is entry 3' },
      ]);
    });
  });

  it('finds entries cut off the end by the head', async () => {
    await withLog(10, async (store, client) => {
      await tamper(client, 'DELETE FROM steward.audit_log WHERE seq >= 9');
      const result = await store.audit.verify();
      expect(result.entries).toBe(8);
      expect(result.problems).toEqual([
        { seq: 9, problem: 'truncated', message: expect.stringContaining('entries 9 to 10 were cut off') },
      ]);
    });
  });

  it('finds a last entry rewritten with a recomputed hash by the head', async () => {
    await withLog(5, async (store, client, entries) => {
      const last = entries[4]!;
      const forgedHash = auditHash({ ...last, actor: 'mallory', detail: last.detail === null ? null : canonicalJson(last.detail) });
      await tamper(client, `UPDATE steward.audit_log SET actor = 'mallory', hash = '${forgedHash}' WHERE seq = 5`);
      expect((await store.audit.verify()).problems).toEqual([
        { seq: 5, problem: 'edited', message: expect.stringContaining('head') },
      ]);
    });
  });

  it('exports JSONL lines that verify on their own', async () => {
    await withLog(7, async (store, _client, entries) => {
      const lines: string[] = [];
      const count = await store.audit.exportJsonl(async (line) => {
        lines.push(line);
      });
      expect(count).toBe(7);
      expect(lines.every((line) => line.endsWith('\n') && !line.slice(0, -1).includes('\n'))).toBe(true);
      const parsed = lines.map((line) => JSON.parse(line) as AuditEntry);
      expect(parsed).toEqual(entries);
      for (const [i, entry] of parsed.entries()) {
        expect(lines[i]).toBe(`${canonicalJson(entry)}\n`);
        expect(sha256Hex(canonicalJson(withoutHash(entry)))).toBe(entry.hash);
      }
    });
  });

  it("finds a batch's entry by each address it names, and an edit of those addresses", async () => {
    await withLog(3, async (store, client) => {
      const odd = 'PostgresRole/we"ird \\ {a,b}';
      const batch = await store.audit.append(
        input(4, { action: 'intents', address: null, detail: { intents: [{ address: 'PostgresRole/r1' }, { address: odd }, { address: 'PostgresRole/r9' }] } }),
      );
      const seqs = async (address: string) => (await store.audit.list({ address })).map((e) => e.seq);
      expect(await seqs('PostgresRole/r1')).toEqual([1, batch.seq]);
      expect(await seqs(odd)).toEqual([batch.seq]);
      expect(await seqs('PostgresRole/r9')).toEqual([batch.seq]);
      expect(await seqs('PostgresRole/r{')).toEqual([]);
      expect((await store.audit.verify()).ok).toBe(true);

      // The addresses are kept beside the entry, outside its hash: dropping one hides the entry
      // from lookups by that address, and verification reports it.
      await tamper(client, `UPDATE steward.audit_log SET addresses = '{PostgresRole/r1,PostgresRole/r9}' WHERE seq = ${batch.seq}`);
      expect(await seqs(odd)).toEqual([]);
      const report = await store.audit.verify();
      expect(report).toMatchObject({ ok: false, problems: [{ seq: batch.seq, problem: 'edited' }] });
      expect(report.problems[0]?.message).toMatch(/addresses kept for lookups/);
      // Only a batch's entry has them.
      await expect(tamper(client, `UPDATE steward.audit_log SET addresses = '{}' WHERE seq = 1`)).rejects.toThrow(/audit_log_addresses_of_batches/);
    });
  });

  it('lists entries oldest first, filtered by address, run, position and count', async () => {
    await withLog(12, async (store) => {
      const byAddress = await store.audit.list({ address: 'PostgresRole/r1' });
      expect(byAddress.map((e) => e.seq)).toEqual([1, 5, 9]);
      const byRun = await store.audit.list({ runId: 'run-2' });
      expect(byRun.map((e) => e.seq)).toEqual([2, 5, 8, 11]);
      expect((await store.audit.list({ afterSeq: 9 })).map((e) => e.seq)).toEqual([10, 11, 12]);
      expect((await store.audit.list({ afterSeq: 2, limit: 3 })).map((e) => e.seq)).toEqual([3, 4, 5]);
      expect(await store.audit.list({ limit: 0 })).toEqual([]);
      // The newest entries, still oldest first: what `audit list --limit N` shows.
      expect((await store.audit.list({ last: 2, address: 'PostgresRole/r1' })).map((e) => e.seq)).toEqual([5, 9]);
      expect((await store.audit.list({ last: 3 })).map((e) => e.seq)).toEqual([10, 11, 12]);
      expect((await store.audit.list({ last: 50, runId: 'run-2' })).map((e) => e.seq)).toEqual([2, 5, 8, 11]);
      expect(await store.audit.list({ last: 0 })).toEqual([]);
      const bad: unknown = await store.audit.list({ limit: -1 }).catch((e: unknown) => e);
      expect(bad).toBeInstanceOf(StewardError);
    });
  });

  it('refuses to append what has no canonical form, writing nothing', async () => {
    await withLog(1, async (store) => {
      const error: unknown = await store.audit.append(input(2, { detail: { text: 'lone \ud800 surrogate' } })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StewardError);
      expect((error as StewardError).code).toBe('audit-write-failed');
      // The same in a field of the entry itself, not only in its detail.
      const inField: unknown = await store.audit.append(input(2, { actor: 'lone \udc00 surrogate' })).catch((e: unknown) => e);
      expect((inField as StewardError).code).toBe('audit-write-failed');
      // A pair is a character like any other.
      await store.audit.append(input(2, { actor: 'paired \ud83d\ude00' }));
      expect((await store.audit.list({ last: 1 }))[0]?.actor).toBe('paired \ud83d\ude00');
      expect(await store.audit.verify()).toEqual({ ok: true, entries: 2, problems: [] });
    });
  });
});
