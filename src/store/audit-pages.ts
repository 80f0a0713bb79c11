import { StewardError } from '../core/errors.js';
import type { AuditRow } from './audit-hash.js';
import { isJsonObject } from './json.js';
import type { SqlQueryable } from './sql-client.js';
import type { AuditEntry } from './types.js';

export interface AuditPageQuery {
  /** Only entries with a greater seq (keyset pagination). */
  readonly afterSeq: number;
  /** Only entries up to this seq, when given. */
  readonly throughSeq?: number;
  readonly limit: number;
  readonly address?: string;
  readonly runId?: string;
}

/**
 * The action of the one 'pending' entry that records a batch's intents (see `recordIntents`), and
 * of the one 'succeeded' entry of those that succeeded together: it has no address of its own;
 * its detail lists each intent with its address.
 */
export const BATCH_INTENTS_ACTION = 'intents';

/** Whether an entry is a batch's intents entry (one that names its addresses in its detail). */
export const isBatchEntry = (entry: Pick<AuditEntry, 'action' | 'address'>): boolean => entry.action === BATCH_INTENTS_ACTION && entry.address === null;

/** The addresses a batch's intents entry names, in its order; undefined for any other entry. */
export function batchIntentAddresses(entry: Pick<AuditEntry, 'action' | 'address' | 'detail'>): readonly string[] | undefined {
  if (!isBatchEntry(entry) || !isJsonObject(entry.detail)) return undefined;
  const intents = entry.detail['intents'];
  if (!Array.isArray(intents)) return undefined;
  return intents.map((i) => (isJsonObject(i) && typeof i['address'] === 'string' ? i['address'] : ''));
}

/**
 * What the `addresses` column holds for an entry (migration 11): the addresses a batch's entry
 * names (none when its detail lists no intents), null for any other entry.
 */
export function indexedAddresses(entry: Pick<AuditEntry, 'action' | 'address' | 'detail'>): readonly string[] | null {
  return isBatchEntry(entry) ? (batchIntentAddresses(entry) ?? []) : null;
}

/**
 * Entries about the address in parameter `p` (every entry when it is NULL): those naming it, and
 * the batch intents entries listing it, found through the index of their addresses (migration 11).
 */
const aboutAddress = (p: string): string =>
  `(${p}::text IS NULL OR address = ${p} OR (addresses IS NOT NULL AND addresses @> ARRAY[${p}::text]))`;

/**
 * One page of entries in seq order. The page comes back as a single JSON text built by the
 * database (one value to transfer and one `JSON.parse`), which is several times faster than
 * row-by-row decoding, above all on PGlite.
 */
export async function fetchAuditPage(q: SqlQueryable, page: AuditPageQuery): Promise<readonly AuditRow[]> {
  const [result] = await q.query<{ page: string | null }>(
    `SELECT json_agg(json_build_array(seq, "time", actor, run_id, address, action, before_hash, after_hash,
                                      outcome, error, detail, prev_hash, hash, addresses))::text AS page
       FROM (SELECT * FROM steward.audit_log
              WHERE seq > $1
                AND ($2::bigint IS NULL OR seq <= $2)
                AND ${aboutAddress('$3')}
                AND ($4::text IS NULL OR run_id = $4)
              ORDER BY seq
              LIMIT $5) AS page_rows`,
    [page.afterSeq, page.throughSeq ?? null, page.address ?? null, page.runId ?? null, page.limit],
  );
  if (result?.page === null || result?.page === undefined) return [];
  const parsed: unknown = JSON.parse(result.page);
  if (!Array.isArray(parsed)) throw malformed('the page is not an array');
  return inSeqOrder(parsed.map(decodeRow));
}

/**
 * Where the last `count` entries matching the filters begin: the `afterSeq` that makes a forward
 * read return exactly them (0 when there are no more than `count`).
 */
export async function afterSeqOfLast(q: SqlQueryable, filter: Pick<AuditPageQuery, 'address' | 'runId'>, count: number): Promise<number> {
  const [row] = await q.query<{ seq: string | number }>(
    `SELECT seq FROM steward.audit_log
      WHERE ${aboutAddress('$1')}
        AND ($2::text IS NULL OR run_id = $2)
      ORDER BY seq DESC
      OFFSET $3 LIMIT 1`,
    [filter.address ?? null, filter.runId ?? null, count],
  );
  return row === undefined ? 0 : Number(row.seq);
}

function malformed(why: string): StewardError {
  return new StewardError('audit-tampered', `the audit log cannot be read: ${why}`);
}

const FIELD = '\x1f';
const RECORD = '\x1e';

/** A nullable column, prefixed so that NULL ('') and every text value (with '=') stay distinct. */
const nullable = (column: string): string => `coalesce('=' || ${column}, '')`;
const fromNullable = (field: string): string | null => (field === '' ? null : field.slice(1));

/**
 * The same page as {@link fetchAuditPage} (without filters), in a cheaper encoding: the database
 * joins columns with U+001F and rows with U+001E, which costs it about a third of building JSON.
 * The page is only accepted if it splits into exactly the row count the database reports, each
 * of exactly 14 fields: a value containing a separator breaks that, and the page is then fetched
 * again as JSON. Used to stream the whole log (verify, export).
 */
export async function fetchAuditPageFast(
  q: SqlQueryable,
  page: Pick<AuditPageQuery, 'afterSeq' | 'throughSeq' | 'limit'>,
): Promise<readonly AuditRow[]> {
  const [result] = await q.query<{ n: number; page: string | null }>(
    `SELECT count(*)::int AS n,
            string_agg(concat_ws(E'\\x1f', seq, "time", actor, ${nullable('run_id')}, ${nullable('address')}, action,
                                 ${nullable('before_hash')}, ${nullable('after_hash')}, outcome, ${nullable('error')},
                                 ${nullable('detail')}, prev_hash, hash, coalesce('=' || array_to_json(addresses)::text, '')),
                       E'\\x1e') AS page
       FROM (SELECT * FROM steward.audit_log
              WHERE seq > $1 AND ($2::bigint IS NULL OR seq <= $2)
              ORDER BY seq
              LIMIT $3) AS page_rows`,
    [page.afterSeq, page.throughSeq ?? null, page.limit],
  );
  if (result === undefined || result.page === null) return [];
  const records = result.page.split(RECORD);
  const rows: AuditRow[] = [];
  if (records.length === result.n) {
    for (const record of records) {
      const f = record.split(FIELD);
      const seq = Number(f[0]);
      const addresses = f.length === 14 ? addressesField(f[13]!) : undefined;
      if (addresses === undefined || !Number.isSafeInteger(seq)) break;
      rows.push({
        seq,
        time: f[1]!,
        actor: f[2]!,
        runId: fromNullable(f[3]!),
        address: fromNullable(f[4]!),
        action: f[5]!,
        beforeHash: fromNullable(f[6]!),
        afterHash: fromNullable(f[7]!),
        outcome: f[8]!,
        error: fromNullable(f[9]!),
        detail: fromNullable(f[10]!),
        prevHash: f[11]!,
        hash: f[12]!,
        addresses,
      });
    }
  }
  if (rows.length !== result.n) return fetchAuditPage(q, page);
  return inSeqOrder(rows);
}

/** Aggregates keep the subquery's order in practice but SQL does not promise it. */
function inSeqOrder(rows: AuditRow[]): AuditRow[] {
  for (let i = 1; i < rows.length; i++) {
    if (rows[i - 1]!.seq > rows[i]!.seq) return rows.sort((a, b) => a.seq - b.seq);
  }
  return rows;
}

const isText = (value: unknown): value is string => typeof value === 'string';
const isTextOrNull = (value: unknown): value is string | null => value === null || typeof value === 'string';
const isAddresses = (value: unknown): value is readonly string[] | null => value === null || (Array.isArray(value) && value.every(isText));

/** The `addresses` field of a fast page ('' for NULL, else '=' and a JSON array); undefined when it is neither. */
function addressesField(field: string): readonly string[] | null | undefined {
  if (field === '') return null;
  if (!field.startsWith('=')) return undefined;
  try {
    const value: unknown = JSON.parse(field.slice(1));
    return value !== null && isAddresses(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function decodeRow(value: unknown): AuditRow {
  if (!Array.isArray(value) || value.length !== 14) throw malformed('an entry is not a 14-column tuple');
  const [seq, time, actor, runId, address, action, beforeHash, afterHash, outcome, error, detail, prevHash, hash, addresses] =
    value as unknown[];
  if (
    typeof seq !== 'number' ||
    !isText(time) ||
    !isText(actor) ||
    !isTextOrNull(runId) ||
    !isTextOrNull(address) ||
    !isText(action) ||
    !isTextOrNull(beforeHash) ||
    !isTextOrNull(afterHash) ||
    !isText(outcome) ||
    !isTextOrNull(error) ||
    !isTextOrNull(detail) ||
    !isText(prevHash) ||
    !isText(hash) ||
    !isAddresses(addresses)
  ) {
    throw malformed(`entry ${String(seq)} has a column of an unexpected type`);
  }
  return { seq, time, actor, runId, address, action, beforeHash, afterHash, outcome, error, detail, prevHash, hash, addresses };
}
