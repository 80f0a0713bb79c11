import { StewardError, errorMessage } from '../core/errors.js';
import { canonicalJson } from '../core/hash.js';
import type { JsonValue } from '../core/resource.js';
import { auditHash, auditJson, type AuditRow } from './audit-hash.js';
import { afterSeqOfLast, fetchAuditPage, fetchAuditPageFast, indexedAddresses } from './audit-pages.js';
import { AuditChainChecker, type AuditHead } from './audit-verify.js';
import { toJsonValue } from './json.js';
import type { SqlClient, SqlParam, SqlQueryable } from './sql-client.js';
import type { AuditEntry, AuditFilter, AuditInput, AuditLog, AuditOutcome, AuditVerification } from './types.js';

/** Entries per page when streaming; large enough that a million entries take ~100 queries. */
const PAGE_SIZE = 20_000;

const OUTCOMES: ReadonlySet<string> = new Set<AuditOutcome>(['pending', 'succeeded', 'failed', 'recovered', 'info']);

/** The error every failed audit write becomes: the caller must not carry out the action. */
export function auditWriteFailed(error: unknown): StewardError {
  if (error instanceof StewardError && error.code === 'audit-write-failed') return error;
  return new StewardError(
    'audit-write-failed',
    `could not write the audit log, so nothing was recorded and the action must not go ahead: ${errorMessage(error)}`,
    { cause: error },
  );
}

/** A UTF-16 code unit of a surrogate pair standing alone: text that has no canonical JSON form. */
const LONE_SURROGATE = /\p{Surrogate}/u;

/** The fields of an entry that are text, checked for lone surrogates. */
const TEXT_FIELDS = ['time', 'actor', 'runId', 'address', 'action', 'beforeHash', 'afterHash', 'outcome', 'error', 'prevHash'] as const;

/** The entry that follows `prevHash` at `seq`, and the row that stores it. */
function chainEntry(input: AuditInput, seq: number, prevHash: string): { readonly entry: AuditEntry; readonly row: AuditRow } {
  if (!OUTCOMES.has(input.outcome)) throw new Error(`unknown audit outcome '${String(input.outcome)}'`);
  const detail = toJsonValue(input.detail);
  const time = new Date().toISOString();
  const { actor, runId, address, action, beforeHash, afterHash, outcome, error } = input;
  // The definition of the hash: canonical JSON (RFC 8785) of every field but `hash`. The detail is
  // the only free-form value and goes through the general canonicaliser (which throws on what has
  // no canonical form, failing the write closed); the fixed fields are written by `auditJson`,
  // which the tests hold to the general one, once a lone surrogate in them is refused the same way.
  // Built as literals rather than spread: an apply writes two entries per change.
  const stored = { seq, time, actor, runId, address, action, beforeHash, afterHash, outcome, error, detail: detail === null ? null : canonicalJson(detail), prevHash };
  for (const field of TEXT_FIELDS) {
    const value = stored[field];
    if (typeof value === 'string' && LONE_SURROGATE.test(value)) throw new Error(`entry ${seq} has no canonical form: ${field} holds a lone surrogate`);
  }
  const hash = auditHash(stored);
  return {
    entry: { seq, time, actor, runId, address, action, beforeHash, afterHash, outcome, error, detail, prevHash, hash },
    row: {
      seq, time, actor, runId, address, action, beforeHash, afterHash, outcome, error, detail: stored.detail, prevHash, hash,
      addresses: indexedAddresses({ action, address, detail }),
    },
  };
}

async function lockHead(tx: SqlQueryable): Promise<{ readonly lastSeq: number; readonly lastHash: string }> {
  const [head] = await tx.query<{ last_seq: string; last_hash: string }>(
    'SELECT last_seq::text AS last_seq, last_hash FROM steward.audit_head WHERE id = 1 FOR UPDATE',
  );
  if (head === undefined) throw new Error('the audit head record is missing');
  return { lastSeq: Number(head.last_seq), lastHash: head.last_hash };
}

/**
 * Appends one entry inside the caller's transaction (so it commits or rolls back with whatever
 * it records). Appends are serialised by locking the one-row head: each reads the last seq and
 * hash, inserts seq + 1 linked to that hash, and moves the head, all before commit.
 */
export async function appendAuditEntry(tx: SqlQueryable, input: AuditInput): Promise<AuditEntry> {
  const [entry] = await appendAuditEntries(tx, [input]);
  if (entry === undefined) throw new Error('the audit entry was not appended');
  return entry;
}

/**
 * Appends several entries, chained in order, inside the caller's transaction: the head is locked
 * and moved once, and the rows are inserted with one statement. Same contract as one append.
 */
export async function appendAuditEntries(tx: SqlQueryable, inputs: readonly AuditInput[]): Promise<readonly AuditEntry[]> {
  if (inputs.length === 0) return [];
  const head = await lockHead(tx);
  const entries: AuditEntry[] = [];
  const rows: AuditRow[] = [];
  let seq = head.lastSeq;
  let prevHash = head.lastHash;
  for (const input of inputs) {
    seq += 1;
    const { entry, row } = chainEntry(input, seq, prevHash);
    prevHash = row.hash;
    entries.push(entry);
    rows.push(row);
  }
  const values = (r: AuditRow): SqlParam[] => [r.seq, r.time, r.actor, r.runId, r.address, r.action, r.beforeHash, r.afterHash, r.outcome, r.error, r.detail, r.prevHash, r.hash];
  // The rows and the head's move in one statement. Several rows travel as one JSON array of arrays
  // (text stays exact). A batch entry's addresses travel as a JSON array either way.
  const moveHead = 'UPDATE steward.audit_head SET last_seq = $1, last_hash = $2 WHERE id = 1';
  const addressesFrom = (json: string): string => `CASE WHEN jsonb_typeof(${json}) = 'array' THEN ARRAY(SELECT jsonb_array_elements_text(${json})) END`;
  if (rows.length === 1) {
    const row = rows[0]!;
    await tx.query(
      `WITH appended AS (
         INSERT INTO steward.audit_log (seq, "time", actor, run_id, address, action, before_hash, after_hash, outcome,
                                        error, detail, prev_hash, hash, addresses)
         VALUES ($3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, ${addressesFrom('$16::jsonb')}))
       ${moveHead}`,
      [seq, prevHash, ...values(row), JSON.stringify(row.addresses ?? null)],
    );
  } else {
    await tx.query(
      `WITH appended AS (
         INSERT INTO steward.audit_log (seq, "time", actor, run_id, address, action, before_hash, after_hash, outcome,
                                        error, detail, prev_hash, hash, addresses)
         SELECT (r->>0)::bigint, r->>1, r->>2, r->>3, r->>4, r->>5, r->>6, r->>7, r->>8, r->>9, r->>10, r->>11, r->>12,
                ${addressesFrom('r->13')}
           FROM jsonb_array_elements($3::jsonb) AS r)
       ${moveHead}`,
      [seq, prevHash, JSON.stringify(rows.map((r) => [...values(r), r.addresses ?? null]))],
    );
  }
  return entries;
}

async function readHead(q: SqlQueryable): Promise<AuditHead | undefined> {
  const [head] = await q.query<{ last_seq: string; last_hash: string }>(
    'SELECT last_seq::text AS last_seq, last_hash FROM steward.audit_head WHERE id = 1',
  );
  return head === undefined ? undefined : { lastSeq: Number(head.last_seq), lastHash: head.last_hash };
}

function decodeEntry(row: AuditRow): AuditEntry {
  if (!OUTCOMES.has(row.outcome)) {
    throw new StewardError('audit-tampered', `audit entry ${row.seq} has an unknown outcome '${row.outcome}'`);
  }
  let detail: JsonValue | null = null;
  if (row.detail !== null) {
    try {
      detail = JSON.parse(row.detail) as JsonValue;
    } catch {
      throw new StewardError('audit-tampered', `audit entry ${row.seq} has a detail that is not JSON`);
    }
  }
  const { seq, time, actor, runId, address, action, beforeHash, afterHash, error, prevHash, hash } = row;
  return { seq, time, actor, runId, address, action, beforeHash, afterHash, outcome: row.outcome as AuditOutcome, error, detail, prevHash, hash };
}

/** Reads fail as `store-unavailable` unless they already say more (e.g. `audit-tampered`). */
async function reading<T>(what: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof StewardError) throw error;
    throw new StewardError('store-unavailable', `could not ${what} the audit log: ${errorMessage(error)}`, { cause: error });
  }
}

function checkCount(name: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
    throw new StewardError('invalid-input', `${name} must be a non-negative integer, got ${value}`);
  }
}

/**
 * Streams every entry up to `throughSeq` in seq order, a page at a time (keyset pagination);
 * the next page is requested before the current one is processed, so a server backend works
 * while this process hashes.
 */
async function forEachRow(
  q: SqlQueryable,
  throughSeq: number | undefined,
  visit: (rows: readonly AuditRow[]) => void | Promise<void>,
): Promise<void> {
  const fetchAfter = (afterSeq: number): Promise<readonly AuditRow[]> => {
    const page = fetchAuditPageFast(q, { afterSeq, throughSeq, limit: PAGE_SIZE });
    // Awaited below; this only stops a failure from counting as unhandled while we hash.
    page.catch(() => undefined);
    return page;
  };
  let next = fetchAfter(0);
  for (;;) {
    const rows = await next;
    const last = rows.at(-1);
    if (last === undefined) return;
    next = rows.length < PAGE_SIZE ? Promise.resolve([]) : fetchAfter(last.seq);
    await visit(rows);
  }
}

export function createAuditLog(client: SqlClient): AuditLog {
  return {
    async append(entry: AuditInput): Promise<AuditEntry> {
      try {
        return await client.transaction((tx) => appendAuditEntry(tx, entry));
      } catch (error) {
        throw auditWriteFailed(error);
      }
    },

    async list(filter: AuditFilter = {}): Promise<readonly AuditEntry[]> {
      checkCount('limit', filter.limit);
      checkCount('afterSeq', filter.afterSeq);
      checkCount('last', filter.last);
      const entries: AuditEntry[] = [];
      let afterSeq = filter.afterSeq ?? 0;
      await reading('list', async () => {
        if (filter.last !== undefined) afterSeq = Math.max(afterSeq, await afterSeqOfLast(client, filter, filter.last));
        for (;;) {
          const want = filter.limit === undefined ? PAGE_SIZE : Math.min(PAGE_SIZE, filter.limit - entries.length);
          if (want <= 0) break;
          const rows = await fetchAuditPage(client, {
            afterSeq,
            limit: want,
            address: filter.address,
            runId: filter.runId,
          });
          for (const row of rows) entries.push(decodeEntry(row));
          const last = rows.at(-1);
          if (last === undefined || rows.length < want) break;
          afterSeq = last.seq;
        }
      });
      return entries;
    },

    async verify(): Promise<AuditVerification> {
      return reading('verify', async () => {
        // Entries after the head read here are appends made while verifying: left for next time.
        const head = await readHead(client);
        const checker = new AuditChainChecker();
        await client.connection((connection) =>
          forEachRow(connection, head?.lastSeq, (rows) => {
            for (const row of rows) checker.add(row);
          }),
        );
        return checker.finish(head);
      });
    },

    async exportJsonl(write: (line: string) => void | Promise<void>): Promise<number> {
      return reading('export', async () => {
        const head = await readHead(client);
        let count = 0;
        await client.connection((connection) =>
          forEachRow(connection, head?.lastSeq, async (rows) => {
            for (const row of rows) {
              const pending = write(`${auditJson(row, row.hash)}\n`);
              if (pending !== undefined) await pending;
              count++;
            }
          }),
        );
        return count;
      });
    },
  };
}

