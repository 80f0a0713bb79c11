import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres, type EmbeddedServer } from '../src/embedded/postgres-server.js';

// The `pg` entry of vitest's ProvidedContext is declared in ./global-setup.ts; this setup
// provides the same shape, so the shared tests cannot tell which server they run on except by
// asking it.

const MAJOR = 14;

let server: EmbeddedServer | undefined;

/** Fails fast if the server is not the major version this project claims to test. */
async function assertMajor(target: EmbeddedServer): Promise<void> {
  const client = new pg.Client({ connectionString: target.url() });
  await client.connect();
  try {
    const { rows } = await client.query<{ version: string }>(`SELECT current_setting('server_version_num') AS version`);
    const major = Math.floor(Number(rows[0]?.version) / 10_000);
    if (major !== MAJOR) throw new Error(`the pg${MAJOR} project started PostgreSQL ${rows[0]?.version ?? 'unknown'}`);
  } finally {
    await client.end();
  }
}

/** The oldest supported PostgreSQL, for the suites that exercise version-dependent SQL. */
export async function setup(project: TestProject): Promise<void> {
  server = await startEmbeddedPostgres({ version: MAJOR, postgresFlags: ['-c', 'max_connections=300'] });
  try {
    await assertMajor(server);
  } catch (error) {
    // Vitest does not run the teardown of a setup that threw, so the server is stopped here.
    await server.stop();
    server = undefined;
    throw error;
  }
  project.provide('pg', { host: server.host, port: server.port, user: server.user, password: server.password });
}

export async function teardown(): Promise<void> {
  await server?.stop();
}
