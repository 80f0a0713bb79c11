import type { Dirent, Stats } from 'node:fs';
import { readdirSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { errorMessage, type Diagnostic } from '../core/index.js';

const MANIFEST_EXTENSIONS: ReadonlySet<string> = new Set(['.yaml', '.yml']);

/** Directories never searched: hidden ones (`.steward`, `.git`) hold tool state, `node_modules` holds packages. */
export function isSkippedDirectory(name: string): boolean {
  return name.startsWith('.') || name === 'node_modules';
}

export function isManifestFile(name: string): boolean {
  return MANIFEST_EXTENSIONS.has(path.extname(name).toLowerCase());
}

/** How a file is shown to the user: relative to `cwd` when inside it, otherwise absolute. */
export function displayPath(absolute: string, cwd: string = process.cwd()): string {
  const relative = path.relative(cwd, absolute);
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) return absolute;
  return relative;
}

export interface FoundFiles {
  /** Absolute paths, sorted by code point so the order does not depend on the locale. */
  readonly files: readonly string[];
  readonly diagnostics: readonly Diagnostic[];
}

/** Only a file gets a location: a directory has no line to point at. */
export function ioDiagnostic(summary: string, hint: string, options: { readonly cause?: unknown; readonly file?: string } = {}): Diagnostic {
  return {
    severity: 'error',
    code: 'io',
    summary,
    hint,
    ...(options.cause === undefined ? {} : { detail: errorMessage(options.cause) }),
    ...(options.file === undefined ? {} : { location: { file: options.file, line: 1, column: 1 } }),
  };
}

/**
 * Every manifest file under `dir`, recursively. `dir` may also name a single manifest file.
 * Problems (a missing directory, an unreadable sub-directory) become `io` diagnostics; this never
 * throws for them. Symbolic links are followed, each real directory visited once so a link loop
 * cannot recurse forever. Synchronous, as the load's other reads (see `loadManifests`).
 */
export function findManifestFiles(dir: string): FoundFiles {
  const root = path.resolve(dir);
  const diagnostics: Diagnostic[] = [];
  const files: string[] = [];
  let rootStat: Stats;
  try {
    rootStat = statSync(root);
  } catch (error) {
    diagnostics.push(
      ioDiagnostic(
        `Cannot read the manifest directory ${displayPath(root)}.`,
        'Check that the directory exists and is readable, or pass the directory holding your *.yaml manifests.',
        { cause: error },
      ),
    );
    return { files, diagnostics };
  }
  if (rootStat.isFile()) {
    if (isManifestFile(root)) return { files: [root], diagnostics };
    const summary = `${displayPath(root)} is not a directory or a .yaml/.yml file.`;
    diagnostics.push(ioDiagnostic(summary, 'Pass the directory holding your *.yaml manifests.'));
    return { files, diagnostics };
  }
  const visited = new Set<string>();
  const walk = (directory: string): void => {
    let entries: Dirent[];
    try {
      const real = realpathSync(directory);
      if (visited.has(real)) return;
      visited.add(real);
      entries = readdirSync(directory, { withFileTypes: true });
    } catch (error) {
      const summary = `Cannot read the directory ${displayPath(directory)}.`;
      diagnostics.push(ioDiagnostic(summary, 'Make the directory readable or move it out of the manifest directory.', { cause: error }));
      return;
    }
    for (const entry of entries) {
      const full = path.join(directory, entry.name);
      let isDirectory = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        try {
          const target = statSync(full);
          isDirectory = target.isDirectory();
          isFile = target.isFile();
        } catch (error) {
          if (isManifestFile(entry.name)) {
            const file = displayPath(full);
            diagnostics.push(ioDiagnostic(`Cannot follow the link ${file}.`, 'Fix or remove the broken symbolic link.', { cause: error, file }));
          }
          continue;
        }
      }
      if (isDirectory && !isSkippedDirectory(entry.name)) walk(full);
      else if (isFile && isManifestFile(entry.name)) files.push(full);
    }
  };
  walk(root);
  files.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { files, diagnostics };
}
