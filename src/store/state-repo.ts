import { parseAddress } from '../core/address.js';
import { StewardError, errorMessage } from '../core/errors.js';
import type { Attributes, JsonValue } from '../core/resource.js';
import { sortByAddress } from './code-points.js';
import { isJsonObject } from './json.js';
import { RECORDS_DIGEST_SQL } from './plan-snapshot.js';
import { RESOURCE_LOCK_NAMESPACE } from './lock-keys.js';
import { fromSummaryRow, type SummaryRow } from './summary-row.js';
import { hasConcurrentWriters, isoTimestamp, sqlState, type SqlClient, type SqlQueryable } from './sql-client.js';
import type { HistoryAction, HistoryEntry, ResourceChange, ResourceWrite, StateRecord, StateRecordInput, StateRecordSummary } from './types.js';

export interface StateRepository {
  listResources(): Promise<readonly StateRecord[]>;
  listResourceSummaries(): Promise<readonly StateRecordSummary[]>;
  getResource(address: string): Promise<StateRecord | undefined>;
  getResources(addresses: readonly string[]): Promise<readonly StateRecord[]>;
  putResource(record: StateRecordInput, change: ResourceChange): Promise<StateRecord>;
  /** Several records, each as `putResource` writes one, in one transaction; the addresses must be distinct. */
  putResources(items: readonly ResourceWrite[]): Promise<void>;
  removeResource(address: string, change: ResourceChange): Promise<void>;
  history(address?: string, limit?: number): Promise<readonly HistoryEntry[]>;
  /** The digest of every record's summary (see `recordsDigest` in `plan-snapshot.ts`). */
  recordsDigest(): Promise<string>;
}

interface ResourceRow {
  readonly address: string;
  readonly kind: string;
  readonly name: string;
  readonly target: string | null;
  readonly spec_hash: string;
  readonly spec: JsonValue | null;
  readonly attributes: Attributes;
  readonly provider_id: string | null;
  readonly dependencies: readonly string[];
  readonly protect: boolean;
  readonly version: number;
  readonly created_at: string;
  readonly updated_at: string;
}

interface HistoryRow {
  readonly address: string;
  readonly version: number;
  readonly run_id: string;
  readonly action: HistoryAction;
  readonly spec_hash: string | null;
  readonly attributes: Attributes | null;
  readonly recorded_at: string;
}

const RESOURCE_COLUMNS = `address, kind, name, target, spec_hash, spec, attributes, provider_id, dependencies, protect, version,
  ${isoTimestamp('created_at')} AS created_at, ${isoTimestamp('updated_at')} AS updated_at`;

const LIST_PAGE = 2000;

/**
 * Summaries read from a PostgreSQL server come in pages this large. Each page is a round trip, and
 * the next is only asked for once the command's thread has read the last: while a plan's thread
 * worked through the targets' observation, the pages of 2,000 waited, then took about 0.1 s one
 * after another. A summary is a few hundred bytes, and the server's memory is not the command's.
 */
const SHARED_SUMMARY_PAGE = 50_000;

/**
 * A timestamp as whole milliseconds since 1970, truncated like `isoTimestamp`'s `.MS`: formatting
 * 22,000 timestamps with to_char costs the embedded database more than `toISOString` costs here.
 */
const epochMs = (column: string): string => `floor(extract(epoch FROM ${column}) * 1000)::bigint`;

/** `listResourceSummaries` reads these, in this order, as one JSON array per record. */
const SUMMARY_COLUMNS = 'address, kind, name, target, spec_hash, provider_id, dependencies, protect';

/** `listResources` reads the summary's columns, then the rest of the record. */
const LIST_COLUMNS = `${SUMMARY_COLUMNS}, version, ${epochMs('created_at')}, ${epochMs('updated_at')}, spec, attributes`;

type ListedRow = readonly [...SummaryRow, version: number, createdAtMs: number, updatedAtMs: number, spec: JsonValue | null, attributes: Attributes];

function fromListed(row: ListedRow): StateRecord {
  // The rest added to the summary built for this row, rather than a copy of it.
  const [, , , , , , , , version, createdAtMs, updatedAtMs, spec, attributes] = row;
  return Object.assign(fromSummaryRow(row), {
    version,
    createdAt: new Date(createdAtMs).toISOString(),
    updatedAt: new Date(updatedAtMs).toISOString(),
    spec: spec ?? null,
    attributes,
  });
}

const HISTORY_COLUMNS = `address, version, run_id::text AS run_id, action, spec_hash, attributes,
  ${isoTimestamp('recorded_at')} AS recorded_at`;

const ACTIONS: ReadonlySet<string> = new Set<HistoryAction>([
  'create',
  'update',
  'replace',
  'delete',
  'adopt',
  'refresh',
  'recover',
]);

function toRecord(row: ResourceRow): StateRecord {
  return {
    address: row.address,
    kind: row.kind,
    name: row.name,
    target: row.target,
    specHash: row.spec_hash,
    spec: row.spec ?? null,
    attributes: row.attributes,
    providerId: row.provider_id,
    dependencies: row.dependencies,
    protect: row.protect,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toHistoryEntry(row: HistoryRow): HistoryEntry {
  return {
    address: row.address,
    version: row.version,
    runId: row.run_id,
    action: row.action,
    specHash: row.spec_hash,
    attributes: row.attributes,
    recordedAt: row.recorded_at,
  };
}

function invalid(message: string): StewardError {
  return new StewardError('invalid-input', message);
}

function checkRecord(record: StateRecordInput): void {
  const parts = parseAddress(record.address);
  if (parts === undefined || parts.kind !== record.kind || parts.name !== record.name) {
    throw invalid(`state record address '${record.address}' must be '${record.kind}/${record.name}'`);
  }
  if (!isJsonObject(record.attributes)) throw invalid(`state record ${record.address}: attributes must be a JSON object`);
  if (!record.dependencies.every((d) => typeof d === 'string')) {
    throw invalid(`state record ${record.address}: dependencies must be addresses`);
  }
}

function checkChange(change: ResourceChange): void {
  if (!ACTIONS.has(change.action)) throw invalid(`unknown history action '${String(change.action)}'`);
}

/** Turns a rejected run id (unknown, or not a UUID) into an input error naming it. */
function explainWriteError(error: unknown, change: ResourceChange): unknown {
  const state = sqlState(error);
  if (state === '23503' || state === '22P02') {
    return invalid(`run '${change.runId}' does not exist: start a run before changing state (${errorMessage(error)})`);
  }
  return error;
}

/**
 * Serialises writers of one address for the rest of the transaction, so the next version is
 * computed from a stable history.
 */
async function lockAddress(tx: SqlQueryable, address: string): Promise<number> {
  await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [RESOURCE_LOCK_NAMESPACE, address]);
  // Versions continue after a removal, so a re-created resource never reuses an old version. The
  // last is its row's, or else the last in its history (a row is never older than its history).
  const [row] = await tx.query<{ version: number }>(
    `SELECT coalesce((SELECT c.version FROM steward.resources c WHERE c.address = $1),
                     (SELECT max(h.version) FROM steward.resource_history h WHERE h.address = $1), 0)::int AS version`,
    [address],
  );
  return (row?.version ?? 0) + 1;
}

/**
 * The history entry of a row written since migration 10 (`history_id` set), as the history keeps
 * it, from `source` (the rows of steward.resources being replaced or removed). Rows written before
 * have their current version in the history already.
 */
const MOVE_TO_HISTORY = (source: string): string =>
  `INSERT INTO steward.resource_history (id, address, version, run_id, action, spec_hash, attributes, spec, recorded_at)
   OVERRIDING SYSTEM VALUE
   SELECT history_id, address, version, run_id, action, spec_hash, attributes, spec, updated_at FROM ${source} WHERE history_id IS NOT NULL`;

/**
 * Writes several records inside the caller's transaction, as `putResource` does one by one: each
 * address gets its next version, and the version it replaces moves into the history. The
 * addresses must be distinct. With `concurrent` (see `hasConcurrentWriters`) each address is first
 * locked, in sorted order so two writers never deadlock, so its next version is computed from a
 * stable history. One statement (two with the locks) whatever the number of records.
 */
export async function putResourcesIn(
  tx: SqlQueryable,
  items: readonly ResourceWrite[],
  concurrent: boolean,
): Promise<void> {
  if (items.length === 0) return;
  for (const { record, change } of items) {
    checkRecord(record);
    checkChange(change);
  }
  const addresses = items.map((i) => i.record.address);
  if (new Set(addresses).size !== addresses.length) throw invalid('a batch of state records names an address twice');
  if (concurrent) {
    await tx.query(
      `SELECT pg_advisory_xact_lock($1, hashtext(a)) FROM (SELECT jsonb_array_elements_text($2::jsonb) AS a ORDER BY 1) s`,
      [RESOURCE_LOCK_NAMESPACE, JSON.stringify([...addresses].sort())],
    );
  }
  const rows = items.map(({ record, change }) => [
    record.address,
    record.kind,
    record.name,
    record.target,
    record.specHash,
    record.attributes,
    record.providerId,
    record.dependencies,
    record.protect,
    record.spec,
    change.runId,
    change.action,
  ]);
  // Versions continue after a removal, so a re-created resource never reuses an old version. The
  // version being replaced moves into the history; the new one is kept in the row only, with the
  // place in the history's order it takes (migration 10). The statement's parts all read the rows
  // as they were when it started: `moved` copies the replaced rows, `updated` overwrites them, and
  // the addresses without a row are inserted. An insert that never meets an existing row, rather
  // than ON CONFLICT's speculative insertion, and the history's sequence named once rather than
  // for every row: 11,100 new records took the embedded store 0.49 s instead of 0.70 s. No other
  // writer can add a row in between: the embedded store runs one transaction at a time, and a
  // shared one holds the addresses' locks (above).
  const nextHistoryId = "nextval((SELECT pg_get_serial_sequence('steward.resource_history', 'id'))::regclass)";
  await tx.query(
    `WITH r AS MATERIALIZED (
       SELECT e, e->>0 AS address, c.version IS NOT NULL AS replaces,
              coalesce(c.version, (SELECT max(h.version) FROM steward.resource_history h WHERE h.address = e->>0), 0) + 1 AS version
         FROM jsonb_array_elements($1::jsonb) AS e
         LEFT JOIN steward.resources c ON c.address = e->>0),
     replaced AS (SELECT c.* FROM r JOIN steward.resources c ON c.address = r.address WHERE r.replaces),
     moved AS (${MOVE_TO_HISTORY('replaced')}),
     updated AS (
       UPDATE steward.resources c SET
         kind = r.e->>1, name = r.e->>2, target = r.e->>3, spec_hash = r.e->>4, attributes = r.e->5, provider_id = r.e->>6,
         dependencies = r.e->7, protect = (r.e->>8)::boolean, version = r.version, updated_at = now(),
         spec = nullif(r.e->9, 'null'::jsonb), history_id = ${nextHistoryId}, run_id = (r.e->>10)::uuid, action = r.e->>11
         FROM r WHERE r.replaces AND c.address = r.address)
     INSERT INTO steward.resources (address, kind, name, target, spec_hash, attributes, provider_id, dependencies,
                                    protect, version, created_at, updated_at, spec, history_id, run_id, action)
     SELECT address, e->>1, e->>2, e->>3, e->>4, e->5, e->>6, e->7, (e->>8)::boolean, version, now(), now(),
            nullif(e->9, 'null'::jsonb), ${nextHistoryId}, (e->>10)::uuid, e->>11
       FROM r WHERE NOT r.replaces`,
    [JSON.stringify(rows)],
  );
}

/**
 * Every record, as `decode` makes it from the listed `columns`. Pages of records, each one row
 * holding them as a JSON array of arrays: decoding thousands of rows field by field (PGlite's
 * protocol parser) costs several times more than JSON.parse, and pages keep the embedded
 * database's own memory small (it never gives any back). Pages follow the primary key's index (no
 * sort in the database); the result is sorted here.
 */
async function listPaged<Row, T extends { readonly address: string }>(
  client: SqlClient,
  columns: string,
  decode: (row: Row) => T,
  pageSize: number = LIST_PAGE,
): Promise<readonly T[]> {
  const records: T[] = [];
  let after: string | null = null;
  for (;;) {
    const [page]: readonly { records: string; last: string | null }[] = await client.query<{ records: string; last: string | null }>(
      `SELECT coalesce(json_agg(json_build_array(${columns})), '[]')::text AS records, max(address) AS last
         FROM (SELECT * FROM steward.resources WHERE $1::text IS NULL OR address > $1 ORDER BY address LIMIT $2) r`,
      [after, pageSize],
    );
    const rows = JSON.parse(page?.records ?? '[]') as readonly Row[];
    for (const row of rows) records.push(decode(row));
    const last: string | null = page?.last ?? null;
    if (rows.length < pageSize || last === null) break;
    after = last;
  }
  // Byte order of the UTF-8 text (COLLATE "C"), the same whatever the server's collation.
  return sortByAddress(records);
}

export function createStateRepository(client: SqlClient): StateRepository {
  return {
    listResources: () => listPaged(client, LIST_COLUMNS, fromListed),

    listResourceSummaries: () => listPaged(client, SUMMARY_COLUMNS, fromSummaryRow, client.backend === 'postgres' ? SHARED_SUMMARY_PAGE : LIST_PAGE),

    async recordsDigest(): Promise<string> {
      const [row] = await client.query<{ digest: string }>(RECORDS_DIGEST_SQL);
      return row?.digest ?? '';
    },

    async getResources(addresses: readonly string[]): Promise<readonly StateRecord[]> {
      // In pages, as `listPaged` reads: a destroy plan asks for every record.
      const records: StateRecord[] = [];
      for (let start = 0; start < addresses.length; start += LIST_PAGE) {
        const [found] = await client.query<{ records: string }>(
          `SELECT coalesce(json_agg(json_build_array(${LIST_COLUMNS})), '[]')::text AS records
             FROM steward.resources WHERE address IN (SELECT jsonb_array_elements_text($1::jsonb))`,
          [JSON.stringify(addresses.slice(start, start + LIST_PAGE))],
        );
        for (const row of JSON.parse(found?.records ?? '[]') as readonly ListedRow[]) records.push(fromListed(row));
      }
      return sortByAddress(records);
    },

    async getResource(address: string): Promise<StateRecord | undefined> {
      const [row] = await client.query<ResourceRow>(`SELECT ${RESOURCE_COLUMNS} FROM steward.resources WHERE address = $1`, [
        address,
      ]);
      return row === undefined ? undefined : toRecord(row);
    },

    async putResource(record: StateRecordInput, change: ResourceChange): Promise<StateRecord> {
      checkRecord(record);
      checkChange(change);
      try {
        return await client.transaction(async (tx) => {
          await putResourcesIn(tx, [{ record, change }], hasConcurrentWriters(client));
          const [row] = await tx.query<ResourceRow>(`SELECT ${RESOURCE_COLUMNS} FROM steward.resources WHERE address = $1`, [record.address]);
          if (row === undefined) throw new Error(`no row returned for ${record.address}`);
          return toRecord(row);
        });
      } catch (error) {
        throw explainWriteError(error, change);
      }
    },

    async putResources(items): Promise<void> {
      if (items.length === 0) return;
      try {
        await client.transaction((tx) => putResourcesIn(tx, items, hasConcurrentWriters(client)));
      } catch (error) {
        throw explainWriteError(error, items[0]!.change);
      }
    },

    async removeResource(address: string, change: ResourceChange): Promise<void> {
      checkChange(change);
      try {
        await client.transaction(async (tx) => {
          const version = await lockAddress(tx, address);
          // Its last version moves into the history, followed by the removal.
          await tx.query(
            `WITH gone AS (DELETE FROM steward.resources WHERE address = $1 RETURNING *),
             moved AS (${MOVE_TO_HISTORY('gone')})
             INSERT INTO steward.resource_history (address, version, run_id, action, spec_hash, attributes)
             SELECT address, $2, $3, $4, NULL, NULL FROM gone`,
            [address, version, change.runId, change.action],
          );
        });
      } catch (error) {
        throw explainWriteError(error, change);
      }
    },

    async history(address?: string, limit?: number): Promise<readonly HistoryEntry[]> {
      if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0)) {
        throw invalid(`history limit must be a non-negative integer, got ${limit}`);
      }
      const rows = await client.query<HistoryRow>(
        `SELECT ${HISTORY_COLUMNS} FROM (
           SELECT id, address, version, run_id, action, spec_hash, attributes, recorded_at FROM steward.resource_history
            WHERE $1::text IS NULL OR address = $1
           UNION ALL
           SELECT history_id, address, version, run_id, action, spec_hash, attributes, updated_at FROM steward.resources
            WHERE history_id IS NOT NULL AND ($1::text IS NULL OR address = $1)) h
          ORDER BY id DESC
          LIMIT $2`,
        [address ?? null, limit ?? null],
      );
      return rows.map(toHistoryEntry);
    },
  };
}
