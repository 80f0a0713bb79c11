import type { ChildProcess } from 'node:child_process';
import { access } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import { TEST_PASSWORD_ENV, uniqueName } from './fixtures.js';
import { adminClient, documentYaml, projectEnv, runCli, startCli, waitFor } from './project.js';

/** A fresh database on the shared server, so event triggers installed by an agent stay in it. */
export async function freshDatabase(prefix: string): Promise<string> {
  const name = uniqueName(prefix);
  const admin = await adminClient();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return name;
}

export async function dropDatabase(name: string): Promise<void> {
  const admin = await adminClient();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}

/** A test file's own database and the store databases its tests create, all dropped after its tests. */
export interface SuiteDatabase {
  /** The file's database (created before its first test). */
  readonly name: string;
  /** A fresh database for a test's store, dropped with the file's own. */
  storeDatabase(prefix: string): Promise<string>;
}

/** Registers a fresh database for the calling test file (see {@link freshDatabase}). */
export function suiteDatabase(prefix: string): SuiteDatabase {
  let name: string | undefined;
  const stores: string[] = [];
  beforeAll(async () => {
    name = await freshDatabase(prefix);
  });
  afterAll(async () => {
    for (const store of stores) await dropDatabase(store);
    if (name !== undefined) await dropDatabase(name);
  });
  return {
    get name(): string {
      if (name === undefined) throw new Error(`the ${prefix} database is created before the file's first test`);
      return name;
    },
    async storeDatabase(prefix: string): Promise<string> {
      const store = await freshDatabase(prefix);
      stores.push(store);
      return store;
    },
  };
}

export function storeUrl(database: string): string {
  const { host, port, user, password } = inject('pg');
  return `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host}:${port}/${database}`;
}

/** SQL against one database of the shared server as the superuser. */
export async function sqlIn(database: string, text: string, params: readonly unknown[] = []): Promise<Record<string, unknown>[]> {
  const { host, port, user, password } = inject('pg');
  const client = new pg.Client({ host, port, user, password, database });
  await client.connect();
  try {
    return (await client.query(text, params as unknown[])).rows;
  } finally {
    await client.end();
  }
}

/** The instance manifest pointing at `database` (where grants and event triggers live). */
export function instanceIn(database: string): string {
  const { host, port, user } = inject('pg');
  return `apiVersion: steward.dev/v1alpha1
kind: PostgresInstance
metadata:
  name: main
spec:
  host: ${host}
  port: ${port}
  user: ${user}
  database: ${database}
  password: { env: ${TEST_PASSWORD_ENV} }
  sslmode: disable
`;
}

export function autonomyYaml(spec: string): string {
  return documentYaml('Autonomy', 'agent', spec);
}

export function grantYaml(name: string, grantee: string, database: string, schema: string, table: string, privileges: readonly string[]): string {
  return `---\n${JSON.stringify({
    apiVersion: 'steward.dev/v1alpha1',
    kind: 'PostgresGrant',
    metadata: { name },
    spec: { instance: 'main', grantee, privileges, on: { type: 'table', database, schema, names: [table] } },
  })}\n`;
}

export const osUser = (): string => userInfo().username;

export interface RunningAgent {
  readonly child: ChildProcess;
  readonly log: () => string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `steward agent` and waits until its first cycle is done (the status file exists). */
export async function startAgent(dir: string, env: NodeJS.ProcessEnv = projectEnv(), args: readonly string[] = []): Promise<RunningAgent> {
  const status = join(dir, '.steward', 'agent.json');
  const child = startCli(['-C', dir, 'agent', '--log-level', 'debug', ...args], env);
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('close', (code, signal) => r({ code, signal })));
  let gone = false;
  void exited.then(() => (gone = true));
  await waitFor(
    async () => {
      if (gone) throw new Error(`the agent exited early:\n${log}`);
      return access(status).then(
        () => true,
        () => false,
      );
    },
    'the agent to finish its first cycle',
    60_000,
  );
  return {
    child,
    log: () => log,
    exited,
    stop: async () => {
      child.kill('SIGTERM');
      return (await exited).code;
    },
  };
}

export interface AuditRow {
  readonly seq: number;
  readonly actor: string;
  readonly action: string;
  readonly address: string | null;
  readonly outcome: string;
  readonly detail: Record<string, unknown> | null;
}

export async function auditOf(dir: string, env: NodeJS.ProcessEnv, address?: string): Promise<readonly AuditRow[]> {
  const result = await runCli(['-C', dir, 'audit', 'list', '--json', ...(address ? ['--address', address] : [])], { env });
  if (result.code !== 0) throw new Error(`audit list failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as AuditRow[];
}

export async function connectionLimit(role: string): Promise<number | undefined> {
  const admin = await adminClient();
  const { rows } = await admin.query<{ rolconnlimit: number }>('SELECT rolconnlimit FROM pg_roles WHERE rolname = $1', [role]);
  await admin.end();
  return rows[0]?.rolconnlimit;
}
