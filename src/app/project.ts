import { join, resolve } from 'node:path';
import { DiagnosticsError, hasErrors, type DesiredResource, type KindDefinition, type Provider } from '../core/index.js';
import { KINDS } from '../kinds/index.js';
import { loadManifests } from '../manifest/index.js';
import { postgresProvider, type InstanceSecrets } from '../providers/postgres/index.js';
import { openStore, type Store } from '../store/index.js';

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

/** Opens the state store for the project and always closes it. */
export async function withStore<T>(options: ProjectOptions, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore({
    projectDir: resolve(options.dir),
    databaseUrl: options.databaseUrl,
    lockTimeoutMs: options.lockTimeoutMs,
    command: options.command,
  });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}
