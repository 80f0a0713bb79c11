import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { WatchChannel } from '../core/index.js';
import type { CycleOutcome } from './cycle-types.js';

/** What `.steward/agent.json` says about a running agent. */
export interface AgentStatus {
  readonly pid: number;
  readonly actor: string;
  readonly replica: string;
  readonly startedAt: string;
  readonly store: string;
  readonly watches: Readonly<Record<string, readonly WatchChannel[]>>;
  readonly manifests: { readonly ok: boolean; readonly problems: readonly string[] };
  readonly lastCycle?: { readonly at: string; readonly trigger: string; readonly outcome?: CycleOutcome; readonly error?: string };
  readonly conflicted: readonly string[];
  readonly leases?: number;
}

/** Replaces `<dir>/.steward/agent.json` atomically; a failure is ignored (the logs say the same). */
export async function writeStatusFile(dir: string, status: AgentStatus): Promise<void> {
  const file = join(dir, '.steward', 'agent.json');
  try {
    // With a PostgreSQL store nothing else may have created .steward/ yet.
    await mkdir(join(dir, '.steward'), { recursive: true });
    await writeFile(join(dir, '.steward', '.gitignore'), '*\n', { flag: 'wx' }).catch(() => undefined);
    await writeFile(`${file}.tmp`, `${JSON.stringify(status, null, 2)}\n`);
    await rename(`${file}.tmp`, file);
  } catch {
    // The status file is a convenience.
  }
}
