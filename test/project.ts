import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import type { ProjectOptions } from '../src/app/index.js';
import { TEST_PASSWORD_ENV } from './fixtures.js';

const ROOT = resolve(import.meta.dirname, '..');

/** The PostgresInstance manifest for the shared test server; the password is an env reference. */
export function instanceYaml(name = 'main'): string {
  const { host, port, user } = inject('pg');
  return `apiVersion: steward.dev/v1alpha1
kind: PostgresInstance
metadata:
  name: ${name}
spec:
  host: ${host}
  port: ${port}
  user: ${user}
  password: { env: ${TEST_PASSWORD_ENV} }
  sslmode: disable
`;
}

/** Project directories this test file made; removed when it ends (see `test/remove-projects.ts`). */
const made = new Set<string>();

/** A fresh project directory holding the given files (paths relative to it), removed after the test file. */
export async function makeProject(files: Readonly<Record<string, string>>): Promise<string> {
  const dir = await makeTempDir('steward-project-');
  await writeProject(dir, files);
  return dir;
}

/** A fresh empty directory (`prefix` and random letters), removed after the test file as projects are. */
export async function makeTempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  removeAfterFile(dir);
  return dir;
}

/** Has a directory something else made (a command under test) removed after the test file too. */
export function removeAfterFile(dir: string): void {
  made.add(dir);
}

/** Removes every project directory made so far: each holds an embedded store of 10-30 MB. */
export async function removeMadeProjects(): Promise<void> {
  const dirs = [...made];
  made.clear();
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
}

export async function writeProject(dir: string, files: Readonly<Record<string, string>>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
}

export function projectEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, [TEST_PASSWORD_ENV]: inject('pg').password, STEWARD_ACTOR: 'test-runner', NO_COLOR: '1', ...extra };
  if (!('STEWARD_DATABASE_URL' in extra)) delete env['STEWARD_DATABASE_URL'];
  delete env['FORCE_COLOR'];
  return env;
}

export function projectOptions(dir: string, extra: Partial<ProjectOptions> = {}): ProjectOptions {
  return { dir, lockTimeoutMs: 0, command: 'test', parallelism: 4, env: projectEnv(), ...extra };
}

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built command line (`bin/steward.js`) as a user would. */
export function runCli(args: readonly string[], options: { readonly env?: NodeJS.ProcessEnv; readonly input?: string } = {}): Promise<CliResult> {
  return new Promise((resolveResult, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/steward.js'), ...args], { env: options.env ?? projectEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolveResult({ code, signal, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** Starts the command line without waiting, for tests that interrupt or race it. */
export function startCli(args: readonly string[], env: NodeJS.ProcessEnv = projectEnv()) {
  return spawn(process.execPath, [join(ROOT, 'bin/steward.js'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A superuser connection to the shared server, for arranging and checking live state. */
export async function adminClient(database = 'postgres'): Promise<pg.Client> {
  const { host, port, user, password } = inject('pg');
  const client = new pg.Client({ host, port, user, password, database });
  await client.connect();
  return client;
}

/** Polls `check` until it returns true; fails after `timeoutMs`. For conditions, not for time. */
export async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** One document of `kind`; the non-blank lines of `spec` are indented under `spec:`. */
export function documentYaml(kind: string, name: string, spec: string, extraMeta = ''): string {
  const lines = spec
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => `  ${l}`)
    .join('\n');
  return `---
apiVersion: steward.dev/v1alpha1
kind: ${kind}
metadata:
  name: ${name}${extraMeta}
spec:
${lines}
`;
}

/** One document of `kind` on instance `main`. */
export function manifestYaml(kind: string, name: string, spec: string, extraMeta = ''): string {
  return documentYaml(kind, name, `instance: main\n${spec}`, extraMeta);
}

export function roleYaml(name: string, spec: string, extraMeta = ''): string {
  return manifestYaml('PostgresRole', name, spec, extraMeta);
}

export function databaseYaml(name: string, spec: string): string {
  return manifestYaml('PostgresDatabase', name, spec);
}
