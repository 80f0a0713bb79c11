import type { Dirent } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';

/** Files larger than this are not read: generated or data files, not hand-written IaC. */
export const MAX_FILE_BYTES = 2 * 1024 * 1024;

/** Directories never entered: VCS and tool state, installed packages, Terraform's provider cache. */
export function isSkippedDirectory(name: string): boolean {
  return name.startsWith('.') || name === 'node_modules';
}

/**
 * Every regular file under `root` (or `root` itself when it is a file), sorted by code point.
 * Symbolic links are followed, each real directory once. Throws only when `root` does not exist.
 */
export async function listFiles(root: string): Promise<readonly string[]> {
  const absolute = path.resolve(root);
  const rootStat = await stat(absolute);
  if (rootStat.isFile()) return [absolute];
  const files: string[] = [];
  const visited = new Set<string>();
  const walk = async (directory: string): Promise<void> => {
    const real = await realpath(directory);
    if (visited.has(real)) return;
    visited.add(real);
    let entries: Dirent[];
    try {
      entries = await readdir(directory, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = path.join(directory, entry.name);
      if (entry.isDirectory() || (entry.isSymbolicLink() && (await stat(full).catch(() => undefined))?.isDirectory())) {
        if (!isSkippedDirectory(entry.name)) await walk(full);
      } else if (entry.isFile() || entry.isSymbolicLink()) {
        files.push(full);
      }
    }
  };
  await walk(absolute);
  return files.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
