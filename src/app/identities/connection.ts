import pg from 'pg';
import { StewardError, errorMessage, type DesiredResource } from '../../core/index.js';
import type { PostgresInstanceSpec } from '../../kinds/index.js';
import { connectionConfig, endpointConfig, type InstanceSecrets } from '../../providers/postgres/index.js';

/** Where an agent connects, without credentials. */
export interface AgentEndpoint {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly sslmode: string;
}

export function agentEndpoint(instance: DesiredResource, database: string, env: NodeJS.ProcessEnv): AgentEndpoint {
  // Host and port only: the administrator's password is not needed (nor read) for this.
  const config = endpointConfig(instance as DesiredResource<PostgresInstanceSpec>, env);
  return { host: String(config.host), port: Number(config.port), database, sslmode: (instance.spec as PostgresInstanceSpec).sslmode };
}

/**
 * Runs `fn` with a connection as the instance's administrator (the user Steward manages it as).
 * `secrets`: the decrypted Secrets instance passwords refer to (see `resolveInstanceSecrets`).
 */
export async function withAdmin<T>(instance: DesiredResource, env: NodeJS.ProcessEnv, fn: (client: pg.Client) => Promise<T>, secrets?: InstanceSecrets): Promise<T> {
  const config = connectionConfig(instance as DesiredResource<PostgresInstanceSpec>, env, secrets);
  const client = new pg.Client({ ...config, application_name: 'steward-identities' } as pg.ClientConfig);
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    throw new StewardError('connection-failed', `${instance.address}: cannot connect: ${errorMessage(error)}`, { kind: 'transient', cause: error });
  }
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function ssl(sslmode: string): pg.ClientConfig['ssl'] {
  return sslmode === 'disable' || sslmode === 'prefer' ? false : sslmode === 'require' ? { rejectUnauthorized: false } : { rejectUnauthorized: true };
}

/** Logs in as `user` and runs one query: proof that a credential works before it is published. */
export async function verifyLogin(endpoint: AgentEndpoint, user: string, password: string): Promise<void> {
  const client = new pg.Client({ host: endpoint.host, port: endpoint.port, database: endpoint.database, user, password, ssl: ssl(endpoint.sslmode), application_name: 'steward-verify' });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    // The driver's message names the user, never the password.
    throw new StewardError('connection-failed', `the new credential of ${user} does not work: ${errorMessage(error)}`, { kind: 'transient', cause: error });
  } finally {
    await client.end().catch(() => undefined);
  }
}
