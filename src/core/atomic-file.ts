import { randomBytes } from 'node:crypto';
import { rename, unlink, writeFile } from 'node:fs/promises';

/**
 * Writes `content` to `target` through a temporary file beside it and a rename, so a reader sees
 * the old file or the new one, never half of one. Returns false, with nothing left behind, when
 * the write fails: for caches, which are only ever a shortcut.
 */
export async function writeFileAtomically(target: string, content: string, mode?: number): Promise<boolean> {
  const temporary = `${target}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, content, mode === undefined ? undefined : { mode });
    await rename(temporary, target);
    return true;
  } catch {
    await unlink(temporary).catch(() => undefined);
    return false;
  }
}
