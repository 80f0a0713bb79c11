import { StewardError, type DesiredResource, type Provider, type ProviderSession } from '../../core/index.js';
import { POSTGRES_INSTANCE, type PostgresInstanceSpec } from '../../kinds/index.js';
import { batchCapability } from './batch.js';
import { connectInstance, type ConnectOptions, type InstanceSecrets } from './connection.js';
import { databaseHandler } from './database.js';
import type { KindHandler } from './kind-handler.js';
import { defaultPrivilegesHandler } from './default-privileges.js';
import { grantHandler } from './grant.js';
import { membershipHandler } from './membership.js';
import { roleHandler } from './role.js';
import { schemaHandler } from './schema.js';
import { watchInstance } from './watch.js';

const HANDLERS: ReadonlyMap<string, KindHandler> = new Map([roleHandler, databaseHandler, schemaHandler, membershipHandler, grantHandler, defaultPrivilegesHandler].map((h) => [h.kind, h]));

function handlerFor(kind: string): KindHandler {
  const handler = HANDLERS.get(kind);
  if (!handler) throw new StewardError('internal', `the postgres provider does not manage kind ${kind}`);
  return handler;
}

export const DEFAULT_CONNECT_OPTIONS: ConnectOptions = { maxConnections: 4, lockTimeoutMs: 10_000 };

/** `secrets`: the values of Secrets instance passwords refer to (see `InstanceSecrets`), held in memory only. */
export function postgresProvider(options: ConnectOptions = DEFAULT_CONNECT_OPTIONS, env: NodeJS.ProcessEnv = process.env, secrets?: InstanceSecrets): Provider {
  return {
    name: 'postgres',
    targetKind: POSTGRES_INSTANCE,
    kinds: [...HANDLERS.keys()],
    connect: async (target: DesiredResource): Promise<ProviderSession> => {
      const conn = await connectInstance(target as DesiredResource<PostgresInstanceSpec>, options, env, secrets);
      return {
        observe: (kind, requests) => handlerFor(kind).observe(conn, requests),
        create: (resource) => handlerFor(resource.kind).create(conn, resource),
        update: (resource, changes) => handlerFor(resource.kind).update(conn, resource, changes),
        delete: (kind, name, spec) => handlerFor(kind).delete(conn, name, spec),
        get statementCount() {
          return conn.statementCount;
        },
        sent: () => conn.sent(),
        batch: batchCapability(conn, handlerFor),
        close: () => conn.close(),
      };
    },
    watch: (target, watchOptions) => watchInstance(target, watchOptions, env, secrets),
  };
}
