import { join, resolve } from 'node:path';
import { DiagnosticsError, hasErrors, type DesiredResource, type KindDefinition, type Provider } from '../core/index.js';
import { KINDS } from '../kinds/index.js';
import { loadManifests } from '../manifest/index.js';
import { postgresProvider, type InstanceSecrets } from '../providers/postgres/index.js';
import { openPlanStore, openStore, type OpenStoreOptions, type PlanStore, type Store } from '../store/index.js';

/** Settings every command shares, from global flags and the environment. */
export interface ProjectOptions {
  readonly dir: string;
  /** `STEWARD_DATABASE_URL`: a PostgreSQL server instead of the embedded store. */
  readonly databaseUrl?: string;
  readonly lockTimeoutMs: number;
  readonly command: string;
  readonly parallelism: number;
  readonly env: NodeJS.ProcessEnv;
}

export interface LoadedProject {
  readonly dir: string;
  readonly resources: readonly DesiredResource[];
  readonly files: readonly string[];
  readonly kinds: ReadonlyMap<string, KindDefinition>;
}

/**
 * Loads and validates the manifests; any error diagnostic stops the command (DiagnosticsError).
 * Files that validated cleanly are cached under `.steward/cache` (see `manifest/cache.ts`).
 */
export async function loadProject(options: Pick<ProjectOptions, 'dir'>): Promise<LoadedProject> {
  const dir = resolve(options.dir);
  const result = await loadManifests(dir, { kinds: KINDS, cacheDir: join(dir, '.steward', 'cache', 'manifests') });
  if (hasErrors(result.diagnostics)) throw new DiagnosticsError(result.diagnostics);
  return { dir, resources: result.resources, files: result.files, kinds: KINDS };
}

/** `secrets`: what `resolveInstanceSecrets` read for this command, when an instance password is a `{secretRef}`. */
export function providersFor(options: Pick<ProjectOptions, 'parallelism' | 'env'>, secrets?: InstanceSecrets): readonly Provider[] {
  return [postgresProvider({ maxConnections: Math.max(2, options.parallelism), lockTimeoutMs: 10_000 }, options.env, secrets)];
}

function storeOptions(options: ProjectOptions, signal?: AbortSignal): OpenStoreOptions {
  return {
    projectDir: resolve(options.dir),
    databaseUrl: options.databaseUrl,
    lockTimeoutMs: options.lockTimeoutMs,
    command: options.command,
    signal,
  };
}

function openProjectStore(options: ProjectOptions, signal?: AbortSignal): Promise<Store> {
  return openStore(storeOptions(options, signal));
}

async function using<S extends Closable, T>(store: S, fn: (store: S) => Promise<T>): Promise<T> {
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** Opens the state store for the project and always closes it. */
export async function withStore<T>(options: ProjectOptions, fn: (store: Store) => Promise<T>): Promise<T> {
  return using(await openProjectStore(options), fn);
}

/**
 * Runs `load` (the project's manifests and whatever else must hold before the store is used)
 * while the store opens, then `fn` with both; the store is always closed. Loading is this
 * process's own work, while opening mostly waits: for the store's lock and, for a new embedded
 * store, for the copy of the machine's template. When `load` fails, its error is the one reported,
 * as if the store had never been asked for: the wait for the lock stops and an opened store is
 * closed unused.
 */
export function withLoadedStore<L, T>(options: ProjectOptions, load: () => Promise<L>, fn: (loaded: L, store: Store) => Promise<T>): Promise<T> {
  return withLoaded((signal) => openProjectStore(options, signal), load, fn);
}

/** {@link withLoadedStore} for `steward plan`, with what a plan reads of the store (see `openPlanStore`). */
export function withLoadedPlanStore<L, T>(
  options: ProjectOptions,
  load: () => Promise<L>,
  fn: (loaded: L, store: PlanStore) => Promise<T>,
  /** See `openPlanStore`; it must settle even when `load` fails. */
  readAfter?: Promise<void>,
): Promise<T> {
  return withLoaded((signal) => openPlanStore(storeOptions(options, signal), readAfter), load, fn);
}

interface Closable {
  close(): Promise<void>;
}

async function withLoaded<S extends Closable, L, T>(open: (signal: AbortSignal) => Promise<S>, load: () => Promise<L>, fn: (loaded: L, store: S) => Promise<T>): Promise<T> {
  const abandon = new AbortController();
  // Settled into a value at once: a failed open is reported only after `load`, never unhandled.
  const opening = open(abandon.signal).then(
    (store) => ({ store }) as const,
    (error: unknown) => ({ error }) as const,
  );
  let loaded: L;
  try {
    loaded = await load();
  } catch (error) {
    abandon.abort();
    const opened = await opening;
    if ('store' in opened) await opened.store.close();
    throw error;
  }
  const opened = await opening;
  if ('error' in opened) throw opened.error;
  return using(opened.store, (store) => fn(loaded, store));
}
