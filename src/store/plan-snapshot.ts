import { createHash } from 'node:crypto';
import { readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomically } from '../core/atomic-file.js';
import { sha256Hex } from '../core/hash.js';
import type { PauseRecord } from './pause-types.js';
import { fromSummaryRow, toSummaryRow, type SummaryRow } from './summary-row.js';
import type { AgentIdentityRecord, SecretRecord } from './secret-types.js';
import type { Intent, StateRecordSummary } from './types.js';

/**
 * What `steward plan` reads of the embedded store, kept beside it by a command that read every
 * record: a plan that finds it valid answers from it without starting the embedded database,
 * which was most of a plan's own work.
 *
 * It is only ever valid for the store it was taken from, as that store was:
 * - every command that opens the embedded store deletes it first, under the store's lock, before
 *   the database is touched; only a plan keeps it, and a plan writes nothing;
 * - it is written under the same lock, after the database is closed, keyed by the store's schema,
 *   the code that reads it, and the identity of the cluster's control file and write-ahead log,
 *   which every close and every write change: a store changed or replaced by other means, or read
 *   by other code, no longer matches;
 * - its records are what the process saw (its whole read and its own writes since), kept only if
 *   they match a digest the database computes.
 * It holds what the store holds in the clear (no secret values; secrets' names only), in a file
 * only its owner can read.
 */
export interface PlanSnapshot {
  readonly records: readonly StateRecordSummary[];
  readonly intents: readonly Intent[];
  readonly identities: readonly AgentIdentityRecord[];
  readonly secrets: readonly SecretRecord[];
  readonly pauses: readonly PauseRecord[];
}

const FILE = 'plan-snapshot.json';
/** Changes whenever what the file holds, or what its parts mean, changes. */
const FORMAT = 1;

interface Stored {
  readonly format: number;
  /** The store's schema (its migrations) and the identity of its cluster when the file was written. */
  readonly key: string;
  /** Records as arrays, which take less to write and read than objects. */
  readonly snapshot: Omit<PlanSnapshot, 'records'> & { readonly records: readonly SummaryRow[] };
}

export const planSnapshotPath = (stewardDir: string): string => join(stewardDir, FILE);

/**
 * The cluster as it is on disk: the device, inode, size and times of its control file, which
 * every close of the database rewrites, and of its write-ahead log's files, which every write
 * changes (a process that stopped without closing the database rewrote no control file).
 */
async function clusterIdentity(dataDir: string): Promise<string | undefined> {
  const identity = async (file: string): Promise<string> => {
    const s = await stat(file, { bigint: true });
    return [s.dev, s.ino, s.size, s.mtimeNs, s.ctimeNs].join(':');
  };
  try {
    const wal = join(dataDir, 'pg_wal');
    const segments = (await readdir(wal, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name).sort();
    const parts = [await identity(join(dataDir, 'global', 'pg_control'))];
    for (const name of segments) parts.push(`${name}=${await identity(join(wal, name))}`);
    return parts.join('\n');
  } catch {
    return undefined;
  }
}

let code: Promise<string> | undefined;

/**
 * The code that reads the store, as the file this module is in: the bundle's chunk of the store's
 * code when the bundle runs. A snapshot written by other code, which may read rows differently,
 * is not used. Read once per process.
 */
function codeIdentity(): Promise<string> {
  code ??= readFile(fileURLToPath(import.meta.url)).then(
    (text) => sha256Hex(text.toString('latin1')),
    () => 'unknown',
  );
  return code;
}

const keyOf = async (schema: string, cluster: string): Promise<string> => sha256Hex(`${FORMAT}\n${await codeIdentity()}\n${schema}\n${cluster}`);

const isArray = (value: unknown): value is readonly unknown[] => Array.isArray(value);

/** The snapshot of the store in `dataDir` with schema `schema`, if one is kept and still valid. */
export async function readPlanSnapshot(stewardDir: string, dataDir: string, schema: string): Promise<PlanSnapshot | undefined> {
  const cluster = await clusterIdentity(dataDir);
  if (cluster === undefined) return undefined;
  let file: Partial<Stored>;
  try {
    file = JSON.parse(await readFile(planSnapshotPath(stewardDir), 'utf8')) as Partial<Stored>;
  } catch {
    return undefined;
  }
  if (typeof file !== 'object' || file === null || file.format !== FORMAT || file.key !== (await keyOf(schema, cluster))) return undefined;
  const s = file.snapshot;
  if (typeof s !== 'object' || s === null || ![s.records, s.intents, s.identities, s.secrets, s.pauses].every(isArray)) return undefined;
  return { ...s, records: s.records.map(fromSummaryRow) };
}

/**
 * Keeps `snapshot` for the store in `dataDir`, which must be closed, with the store's lock held.
 * A failure leaves no snapshot, and is not the command's: the next plan reads the store.
 */
export async function writePlanSnapshot(stewardDir: string, dataDir: string, schema: string, snapshot: PlanSnapshot): Promise<boolean> {
  const cluster = await clusterIdentity(dataDir);
  if (cluster === undefined) return false;
  const file: Stored = { format: FORMAT, key: await keyOf(schema, cluster), snapshot: { ...snapshot, records: snapshot.records.map(toSummaryRow) } };
  return writeFileAtomically(planSnapshotPath(stewardDir), JSON.stringify(file), 0o600);
}

/** Forgets the snapshot: before anything may change the store. Only a missing file is not an error. */
export async function discardPlanSnapshot(stewardDir: string): Promise<void> {
  await unlink(planSnapshotPath(stewardDir)).catch((error: unknown) => {
    if (!(error instanceof Error && 'code' in error && error.code === 'ENOENT')) throw error;
  });
}

/** A NUL cannot be in PostgreSQL text: it stands for NULL in the digest. */
const NULL_MARK = '\u0002';

/**
 * The digest of the records, as {@link RECORDS_DIGEST_SQL} computes it in the store: each record's
 * summary fields joined by U+001F, records joined by U+001E. `records` must be in address order
 * (UTF-8 byte order), as the store lists them and the mirror gives them.
 * MD5 in hex. The dependencies are written as `jsonb` prints an array of strings. It checks that
 * this process knows what the store holds, against mistakes rather than an adversary (who could
 * as well write the snapshot): MD5 takes the embedded database 2 ms for 11,100 records, SHA-256
 * about 100 ms.
 */
export function recordsDigest(records: readonly StateRecordSummary[]): string {
  const lines = records.map((r) =>
    [
      r.address,
      r.kind,
      r.name,
      r.target ?? NULL_MARK,
      r.specHash,
      r.providerId ?? NULL_MARK,
      r.protect ? 't' : 'f',
      `[${r.dependencies.map((d) => JSON.stringify(d)).join(', ')}]`,
    ].join('\u001f'),
  );
  return createHash('md5').update(lines.join('\u001e')).digest('hex');
}

/** {@link recordsDigest} in SQL, over `steward.resources` in the order of its primary key. */
export const RECORDS_DIGEST_SQL = `SELECT md5(coalesce(string_agg(concat_ws(E'\\x1f', address, kind, name, coalesce(target, E'\\x02'), spec_hash,
    coalesce(provider_id, E'\\x02'), CASE WHEN protect THEN 't' ELSE 'f' END, dependencies::text), E'\\x1e'), '')) AS digest
  FROM (SELECT address, kind, name, target, spec_hash, provider_id, protect, dependencies FROM steward.resources ORDER BY address) r`;
