import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * A pristine embedded cluster, kept per machine so a new project's store does not run initdb:
 * PGlite's initdb takes seconds and several hundred MB, loading its result about a second.
 *
 * The template is PGlite's own dump (`dumpDataDir`, gzip) of a cluster it has just created, before
 * any Steward table exists (migrations run on every open as usual). It lives in the user's cache
 * directory (`$XDG_CACHE_HOME/steward`, else `~/.cache/steward`), named by the PGlite version and
 * start parameters, so another version never loads it. Reading or writing it never fails a
 * command: an unreadable or unusable template means creating the cluster as before.
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
  return join(cacheHome, 'steward', `pglite-${version.replace(/[^0-9A-Za-z.-]/g, '_')}-${key}.tar.gz`);
}

export async function readTemplate(path: string): Promise<Blob | undefined> {
  try {
    return new Blob([await readFile(path)]);
  } catch {
    return undefined;
  }
}

/** Stores the template atomically (a temporary file renamed into place); failures are ignored. */
export async function writeTemplate(path: string, dump: Blob): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(temporary, Buffer.from(await dump.arrayBuffer()));
    await rename(temporary, path);
  } catch {
    await unlink(temporary).catch(() => undefined);
  }
}
