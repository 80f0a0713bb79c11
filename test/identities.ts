import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import type { ProjectOptions } from '../src/app/index.js';
import { adminClient, instanceYaml, makeProject, projectEnv } from './project.js';

/** A master key for a test project, as STEWARD_MASTER_KEY. */
export function testMasterKey(): string {
  return randomBytes(32).toString('base64');
}

export async function sql(text: string, params: readonly unknown[] = [], database = 'postgres'): Promise<Record<string, unknown>[]> {
  const admin = await adminClient(database);
  try {
    return (await admin.query(text, params as unknown[])).rows;
  } finally {
    await admin.end();
  }
}

/** A database with schema billing: invoices (the agent's) and payouts (not the agent's). */
export async function billingDatabase(name: string): Promise<void> {
  await sql(`CREATE DATABASE ${name}`);
  await sql(
    `CREATE SCHEMA billing;
     CREATE TABLE billing.invoices (id int PRIMARY KEY, amount numeric);
     CREATE TABLE billing.payouts (id int PRIMARY KEY, amount numeric);
     INSERT INTO billing.invoices VALUES (1, 10);
     INSERT INTO billing.payouts VALUES (1, 99);`,
    [],
    name,
  );
}

export function agentYaml(name: string, database: string, options: { readonly every?: string; readonly grace?: string; readonly envFile?: string } = {}): string {
  return `apiVersion: steward.dev/v1alpha1
kind: Agent
metadata: { name: ${name}, labels: { team: payments } }
spec:
  owner: payments-team@example.com
  description: reconciles invoices nightly
  postgres:
    instance: main
    database: ${database}
    grants:
      - { privileges: [SELECT, INSERT], tables: { schema: billing, names: [invoices] } }
    connectionLimit: 5
  credentials:
    rotate: { every: ${options.every ?? '24h'}, grace: ${options.grace ?? '1h'} }
    deliver: { envFile: ${options.envFile ?? `.run/${name}.env`} }
`;
}

export interface AgentProject {
  readonly dir: string;
  readonly options: ProjectOptions;
  readonly env: NodeJS.ProcessEnv;
  readonly agent: string;
  readonly database: string;
}

/** A project with the shared test server and one agent on a fresh billing database. */
export async function agentProject(agent: string, database: string, options: Parameters<typeof agentYaml>[2] = {}): Promise<AgentProject> {
  await billingDatabase(database);
  const dir = await makeProject({ 'instance.yaml': instanceYaml(), 'agent.yaml': agentYaml(agent, database, options) });
  const env = projectEnv({ STEWARD_MASTER_KEY: testMasterKey() });
  return { dir, env, agent, database, options: { dir, lockTimeoutMs: 0, command: 'test', parallelism: 4, env } };
}

/** Reads an env file as Steward writes it (KEY='value' lines). */
export { parseEnvFileText as parseEnvFile } from '../src/app/identities/deliver.js';

export function serverAddress(): { readonly host: string; readonly port: number } {
  const { host, port } = inject('pg');
  return { host, port };
}
