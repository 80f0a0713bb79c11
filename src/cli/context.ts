import type { Command } from 'commander';
import type { ProjectOptions } from '../app/index.js';
import { parseDuration } from './duration.js';
import { consoleOutput, type Output } from './output.js';

/** How many changes `apply`, `destroy` and the agent run at once unless `--parallelism` says otherwise. */
export const DEFAULT_PARALLELISM = 4;

export interface GlobalFlags {
  readonly dir: string;
  readonly lockTimeout: string;
  readonly parallelism: string;
  readonly color: boolean;
  readonly debug: boolean;
}

/** Shared by every command: how to write, and whether errors must be reported as JSON. */
export class CommandContext {
  json = false;
  debug = false;
  output: Output = consoleOutput();

  /** The project settings from the global flags of `command` and the environment. */
  project(command: Command, name: string): ProjectOptions {
    const flags = command.optsWithGlobals<GlobalFlags>();
    this.debug = flags.debug;
    this.output = consoleOutput({ color: flags.color });
    const parallelism = Number(flags.parallelism);
    if (!Number.isInteger(parallelism) || parallelism < 1 || parallelism > 64) {
      throw new Error(`--parallelism must be a whole number from 1 to 64, not "${flags.parallelism}"`);
    }
    const databaseUrl = process.env['STEWARD_DATABASE_URL']?.trim();
    return {
      dir: flags.dir,
      databaseUrl: databaseUrl ? databaseUrl : undefined,
      lockTimeoutMs: parseDuration(flags.lockTimeout),
      command: name,
      parallelism,
      env: process.env,
    };
  }
}
