import { createHash } from 'node:crypto';
import { mkdir, realpath, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { StewardError, errorMessage } from '../core/errors.js';
import { createInProcessApplyLocker, createPostgresApplyLocker } from './apply-lock.js';
import { maskDatabaseUrl } from './database-url.js';
import { currentHolder } from './holder.js';
import { MIGRATIONS, migrate } from './migrations.js';
import { openPgClient } from './pg-client.js';
import { embeddedTemplatePath, openPgliteClient, type ClusterPreparation } from './pglite-client.js';
import type { SqlClient } from './sql-client.js';
import { createStore } from './store.js';
import { acquireStoreLock, type StoreLock, type StoreLockMode } from './store-lock.js';
import { discardPlanSnapshot, readPlanSnapshot, writePlanSnapshot } from './plan-snapshot.js';
import { planStoreOf, snapshotPlanStore } from './plan-store.js';
import type { OpenStoreOptions, PlanStore, StateRecordSummary, Store } from './types.js';

export interface OpenedStore {
  readonly store: Store;
  /** The store's own connection: for tests and maintenance tools, never for ordinary callers. */
  readonly client: SqlClient;
}

export interface OpenStoreInternalOptions extends OpenStoreOptions {
  /** Overrides the platform's store-lock mechanism (tests use `file` on Linux). */
  readonly storeLockMode?: StoreLockMode;
}

/**
 * A new embedded store starts with its schema in place: the migrations run once per machine, in
 * the cluster template new stores are copied from (see `pglite-template.ts`), keyed by their text.
 */
const EMBEDDED_PREPARATION: ClusterPreparation = {
  key: createHash('sha256')
    .update(JSON.stringify(MIGRATIONS.map((m) => [m.version, m.sql])))
    .digest('hex'),
  prepare: async (client) => {
    await migrate(client);
  },
};

/** Where new embedded stores on this machine are copied from, if anywhere (for the benchmarks). */
export function embeddedStoreTemplatePath(): Promise<string | undefined> {
  return embeddedTemplatePath(EMBEDDED_PREPARATION);
}

/**
 * Opens the project's store: PostgreSQL when `databaseUrl` is given, otherwise the embedded
 * PGlite store in `<projectDir>/.steward/state`. Migrations are applied before it is returned.
 */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  return (await openStoreWithClient(options)).store;
}

export async function openStoreWithClient(options: OpenStoreInternalOptions): Promise<OpenedStore> {
  return options.databaseUrl === undefined || options.databaseUrl === ''
    ? openEmbedded(options)
    : openPostgres(options, options.databaseUrl);
}

async function migrateOrClose(client: SqlClient, cleanup: () => Promise<void>): Promise<void> {
  try {
    await migrate(client);
  } catch (error) {
    await client.close().catch(() => undefined);
    await cleanup();
    throw error;
  }
}

interface EmbeddedPlace {
  readonly stewardDir: string;
  readonly dataDir: string;
  readonly lock: StoreLock;
}

/**
 * Takes the lock of the project's embedded store, in `<projectDir>/.steward/state`. PGlite is
 * single-process, so the lock is taken before the database is touched and held until the store
 * is closed; a second process gets `lock-timeout` naming the holder.
 */
async function lockEmbedded(options: OpenStoreInternalOptions): Promise<EmbeddedPlace> {
  const stewardDir = resolve(options.projectDir, '.steward');
  try {
    await mkdir(stewardDir, { recursive: true });
    // Keeps the store (and anything else steward writes here) out of version control.
    await writeFile(join(stewardDir, '.gitignore'), '*\n', { flag: 'wx' }).catch((error: unknown) => {
      if (!(error instanceof Error && 'code' in error && error.code === 'EEXIST')) throw error;
    });
  } catch (error) {
    throw new StewardError('store-unavailable', `cannot create ${stewardDir}: ${errorMessage(error)}`, { cause: error });
  }
  const realStewardDir = await realpath(stewardDir);
  const dataDir = join(realStewardDir, 'state');
  const lock = await acquireStoreLock({
    stewardDir: realStewardDir,
    storePath: dataDir,
    holder: currentHolder(options.command),
    timeoutMs: options.lockTimeoutMs ?? 0,
    mode: options.storeLockMode,
    signal: options.signal,
  }).catch((error: unknown) => {
    throw agentHolds(error);
  });
  return { stewardDir: realStewardDir, dataDir, lock };
}

/**
 * Opens the embedded store whose lock is held; the lock is let go when the store closes, or at
 * once if it cannot be opened. The plan snapshot is deleted before the database is touched, and
 * a new one is kept when the store closes if this process then knows every record (`known`: the
 * records as they were last read whole, if that was before).
 */
async function openLockedEmbedded({ stewardDir, dataDir, lock }: EmbeddedPlace, known?: readonly StateRecordSummary[]): Promise<OpenedStore> {
  let client: SqlClient;
  try {
    await discardPlanSnapshot(stewardDir);
    client = await openPgliteClient(dataDir, EMBEDDED_PREPARATION);
  } catch (error) {
    await lock.release();
    throw new StewardError('store-unavailable', `cannot open the store at ${dataDir}: ${errorMessage(error)}`, {
      cause: error,
    });
  }
  await migrateOrClose(client, () => lock.release());
  const store = createStore({
    client,
    location: dataDir,
    applyLocker: createInProcessApplyLocker(dataDir),
    afterClose: () => lock.release(),
    keepPlanSnapshot: (snapshot) => writePlanSnapshot(stewardDir, dataDir, EMBEDDED_PREPARATION.key, snapshot),
    known,
  });
  return { store, client };
}

async function openEmbedded(options: OpenStoreInternalOptions): Promise<OpenedStore> {
  return openLockedEmbedded(await lockEmbedded(options));
}

/**
 * What `steward plan` reads of the project's store. From the embedded store, a valid plan
 * snapshot is read instead of the database, which opens only if the plan asks for more.
 *
 * `readAfter`: the embedded store, once locked, is read only after it settles. Reading it is this
 * process's own work; a caller with work under way elsewhere that needs a moment of this process
 * first (connections being opened) passes it so that work is not kept waiting.
 */
export async function openPlanStore(options: OpenStoreInternalOptions, readAfter?: Promise<void>): Promise<PlanStore> {
  if (options.databaseUrl !== undefined && options.databaseUrl !== '') return planStoreOf((await openPostgres(options, options.databaseUrl)).store);
  const place = await lockEmbedded(options);
  await readAfter;
  // Never fails: a snapshot that cannot be read is no snapshot.
  const snapshot = await readPlanSnapshot(place.stewardDir, place.dataDir, EMBEDDED_PREPARATION.key);
  if (snapshot === undefined) return planStoreOf((await openLockedEmbedded(place)).store);
  return snapshotPlanStore(
    snapshot,
    async () => (await openLockedEmbedded(place, snapshot.records)).store,
    () => place.lock.release(),
  );
}

/**
 * A running `steward agent` holds the embedded store for as long as it runs. Other commands
 * cannot reach a PGlite store in another process reliably, so they are told the two ways out.
 */
function agentHolds(error: unknown): unknown {
  if (!(error instanceof StewardError) || error.code !== 'lock-timeout' || !error.message.includes('(steward agent,')) return error;
  return new StewardError(
    'lock-timeout',
    `${error.message} A running \`steward agent\` keeps the embedded store: stop it (Ctrl-C or SIGTERM; it finishes its current step) ` +
      'to run this command, or run the agent and every command with STEWARD_DATABASE_URL so they all reach the store directly.',
    { kind: 'transient', cause: error },
  );
}

/** A PostgreSQL store shared by every process given the same URL; no process lock is needed. */
async function openPostgres(options: OpenStoreInternalOptions, databaseUrl: string): Promise<OpenedStore> {
  const location = maskDatabaseUrl(databaseUrl);
  const client = openPgClient(databaseUrl, `steward ${options.command} pid=${process.pid}`.slice(0, 63));
  try {
    await client.query('SELECT 1');
  } catch (error) {
    await client.close().catch(() => undefined);
    throw new StewardError('store-unavailable', `cannot connect to the store at ${location}: ${errorMessage(error)}`, {
      kind: 'transient',
      cause: error,
    });
  }
  await migrateOrClose(client, async () => undefined);
  const store = createStore({ client, location, applyLocker: createPostgresApplyLocker(databaseUrl, location) });
  return { store, client };
}
