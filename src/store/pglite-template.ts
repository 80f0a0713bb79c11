import { createHash, randomBytes } from 'node:crypto';
import { access, cp, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * A pristine embedded cluster, kept per machine so a new project's store does not run initdb:
 * PGlite's initdb takes seconds and several hundred MB; copying a cluster's directory takes tens of
 * milliseconds.
 *
 * The template is the data directory of a cluster PGlite has just created and shut down cleanly,
 * before any Steward table exists (migrations run on every open as usual) — a cold copy, which is
 * what PostgreSQL's own file-level backups are. It lives in the user's cache directory
 * (`$XDG_CACHE_HOME/steward`, else `~/.cache/steward`), named by the PGlite version and start
 * parameters, so another version never uses it. It is put in place by renaming a finished
 * directory, so it is whole or absent. Using or making it never fails a command: an unusable
 * template means creating the cluster as before.
 */

/** The installed PGlite's package.json. */
function pgliteManifest(): string | undefined {
  try {
    // The package's entry point is in dist/; its package.json one level up.
    return join(dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite')), '..', 'package.json');
  } catch {
    return undefined;
  }
}

/** Where the template for these start parameters is kept, or undefined when there is no cache directory. */
export async function templatePath(startParams: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const manifest = pgliteManifest();
  if (manifest === undefined) return undefined;
  let version: string;
  try {
    const parsed = JSON.parse(await readFile(manifest, 'utf8')) as { readonly version?: unknown };
    if (typeof parsed.version !== 'string') return undefined;
    version = parsed.version;
  } catch {
    return undefined;
  }
  const cacheHome = env['XDG_CACHE_HOME'] || (homedir() === '' ? undefined : join(homedir(), '.cache'));
  if (cacheHome === undefined) return undefined;
  const key = createHash('sha256').update(JSON.stringify([version, startParams])).digest('hex').slice(0, 16);
  return join(cacheHome, 'steward', `pglite-${version.replace(/[^0-9A-Za-z.-]/g, '_')}-${key}`);
}

/** Copies the template to `dataDir` (which must not exist); false when there is no template. */
export async function copyTemplate(template: string, dataDir: string): Promise<boolean> {
  try {
    await access(join(template, 'PG_VERSION'));
  } catch {
    return false;
  }
  await cp(template, dataDir, { recursive: true, errorOnExist: true, force: false });
  return true;
}

/**
 * Makes the template: `create` builds a cluster in the directory it is given and shuts it down;
 * the finished directory is then renamed into place. Another process may have put one there
 * first: that one stays. Failures are ignored (the command goes on without a template).
 */
export async function makeTemplate(template: string, create: (dir: string) => Promise<void>): Promise<void> {
  const temporary = `${template}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await mkdir(dirname(template), { recursive: true });
    await create(temporary);
    await rename(temporary, template);
  } catch {
    // No template this time, or another process's is already in place.
  } finally {
    await rm(temporary, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** Removes an unusable template, so the next new store makes a fresh one. */
export async function discardTemplate(template: string): Promise<void> {
  await rm(template, { recursive: true, force: true }).catch(() => undefined);
}
