import { hostname, userInfo } from 'node:os';
import type { HolderInfo } from './types.js';

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    // No passwd entry (common in containers): fall back to the environment, then the uid.
    return process.env['USER'] ?? process.env['USERNAME'] ?? `uid ${process.getuid?.() ?? 'unknown'}`;
  }
}

/** This process, about to hold a lock for `command`. */
export function currentHolder(command: string): HolderInfo {
  return { pid: process.pid, command, user: currentUser(), host: hostname(), since: new Date().toISOString() };
}

/** `pid 123 (steward apply, alice@host, since 2024-…)`. */
export function describeHolder(holder: HolderInfo): string {
  return `pid ${holder.pid} (steward ${holder.command}, ${holder.user}@${holder.host}, since ${holder.since})`;
}

/** Reads a HolderInfo from untrusted JSON; undefined if it does not have that shape. */
export function parseHolder(text: string): HolderInfo | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { pid, command, user, host, since } = value as Record<string, unknown>;
  if (
    typeof pid !== 'number' ||
    typeof command !== 'string' ||
    typeof user !== 'string' ||
    typeof host !== 'string' ||
    typeof since !== 'string'
  ) {
    return undefined;
  }
  return { pid, command, user, host, since };
}
