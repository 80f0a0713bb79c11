import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, copyFile, mkdir, readdir, readFile, rename, rm, stat, utimes } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * A pristine embedded cluster, kept per machine so a new project's store does not run initdb:
 * PGlite's initdb takes seconds and several hundred MB; copying a cluster's directory takes about a
 * tenth of a second.
 *
 * The template is the data directory of a cluster PGlite has just created, prepared by the caller
 * (the store's migrations) and shut down cleanly — a cold copy, which is what PostgreSQL's own
 * file-level backups are. It lives in the user's cache directory (`$XDG_CACHE_HOME/steward`, else
 * `~/.cache/steward`), named by the PGlite version, the start parameters and a key for what the
 * preparation put in it (the migrations), so a template made by other code is never used.
 * Migrations still run on every open; on a copy of a current template they find nothing to do.
 * The template is put in place by renaming a finished directory, so it is whole or absent. Using
 * or making it never fails a command: an unusable template means creating the cluster as before.
 * Templates that no new store has been made from for 30 days (those of earlier versions) are
 * removed when a new store is made.
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

/** Where the template for these start parameters and contents is kept, or undefined when there is no cache directory. */
export async function templatePath(startParams: readonly string[], contentKey: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
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
  const key = createHash('sha256').update(JSON.stringify([version, startParams, contentKey])).digest('hex').slice(0, 16);
  return join(cacheHome, 'steward', `pglite-${version.replace(/[^0-9A-Za-z.-]/g, '_')}-${key}`);
}

/** Copies the template to `dataDir` (which must not exist); false when there is no template. */
export async function copyTemplate(template: string, dataDir: string): Promise<boolean> {
  try {
    await access(join(template, 'PG_VERSION'));
  } catch {
    return false;
  }
  await copyTree(template, dataDir);
  await markUsed(template);
  await pruneTemplates(template);
  return true;
}

/**
 * How long a template may go unused before a new store's creation removes it. Each Steward or
 * PGlite upgrade that changes the migrations or the start parameters leaves the previous template
 * (about 25 MB) behind; another project still on that version just makes it again.
 */
const UNUSED_TEMPLATE_DAYS = 30;

/** A template's modification time says when a store was last made from it (copying reads only). */
async function markUsed(template: string): Promise<void> {
  const now = new Date();
  await utimes(template, now, now).catch(() => undefined);
}

/**
 * Removes the other templates (and abandoned half-made ones) in `template`'s directory that no
 * new store has used for {@link UNUSED_TEMPLATE_DAYS}. Never fails the command.
 */
async function pruneTemplates(template: string): Promise<void> {
  const now = Date.now();
  const directory = dirname(template);
  const entries = await readdir(directory, { withFileTypes: true }).catch(() => []);
  const oldest = now - UNUSED_TEMPLATE_DAYS * 24 * 60 * 60 * 1000;
  await Promise.all(
    entries
      .filter((entry) => entry.isDirectory() && entry.name.startsWith('pglite-') && join(directory, entry.name) !== template)
      .map(async (entry) => {
        const path = join(directory, entry.name);
        const { mtimeMs } = await stat(path).catch(() => ({ mtimeMs: now }));
        if (mtimeMs < oldest) await rm(path, { recursive: true, force: true }).catch(() => undefined);
      }),
  );
}

/**
 * A directory's files and subdirectories, copied with the files in parallel. A cluster is about a
 * thousand small files: `fs.cp` visits them one after another and takes ten times as long.
 */
async function copyTree(from: string, to: string): Promise<void> {
  const files: (readonly [string, string])[] = [];
  const walk = async (source: string, target: string): Promise<void> => {
    await mkdir(target);
    for (const entry of await readdir(source, { withFileTypes: true })) {
      const [inner, outer] = [join(source, entry.name), join(target, entry.name)];
      if (entry.isDirectory()) await walk(inner, outer);
      else if (entry.isFile()) files.push([inner, outer]);
      else throw new Error(`${inner} is neither a file nor a directory`);
    }
  };
  await walk(from, to);
  await Promise.all(files.map(([source, target]) => copyFile(source, target, constants.COPYFILE_EXCL)));
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
