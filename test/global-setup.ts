import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres, type EmbeddedServer } from '../src/embedded/postgres-server.js';

let server: EmbeddedServer | undefined;

/** One real PostgreSQL server for the whole suite; tests isolate themselves by unique names. */
export async function setup(project: TestProject): Promise<void> {
  server = await startEmbeddedPostgres({ postgresFlags: ['-c', 'max_connections=300'] });
  project.provide('pg', { host: server.host, port: server.port, user: server.user, password: server.password });
}

export async function teardown(): Promise<void> {
  await server?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    pg: { host: string; port: number; user: string; password: string };
  }
}
