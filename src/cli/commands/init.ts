import { mkdir } from 'node:fs/promises';
import type { Command } from 'commander';
import { stewardDir, withStore } from '../../app/index.js';
import { ensureKeyFile, MASTER_KEY_COMMAND_ENV, MASTER_KEY_ENV } from '../../secrets/index.js';
import type { CommandContext } from '../context.js';

export function registerInit(program: Command, ctx: CommandContext, exit: (code: number) => void): void {
  program
    .command('init')
    .description('Prepare the project: create the state store (.steward/, or the database named by STEWARD_DATABASE_URL) and the master key file')
    .action(async (_flags: unknown, command: Command) => {
      const options = ctx.project(command, 'init');
      await withStore(options, async (store) => {
        const kind = store.backend === 'embedded' ? 'embedded state store' : 'PostgreSQL state store';
        ctx.output.out(`${ctx.output.color.green(ctx.output.color.bold('Steward is initialised.'))} Using the ${kind} at ${store.location}.`);
      });
      const external = [MASTER_KEY_ENV, MASTER_KEY_COMMAND_ENV].find((name) => (options.env[name] ?? '').trim() !== '');
      if (external !== undefined) {
        ctx.output.out(`Secrets are encrypted with the master key from ${external}.`);
      } else {
        const dir = stewardDir(options.dir);
        await mkdir(dir, { recursive: true, mode: 0o700 });
        const created = await ensureKeyFile(dir);
        ctx.output.out(
          created
            ? `Created the master key ${dir}/master.key (mode 0600, git-ignored): back it up; without it the secrets cannot be read.`
            : `Secrets are encrypted with the master key in ${dir}/master.key.`,
        );
      }
      exit(0);
    });
}
