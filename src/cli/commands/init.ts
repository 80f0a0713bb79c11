import type { Command } from 'commander';
import { withStore } from '../../app/index.js';
import type { CommandContext } from '../context.js';

export function registerInit(program: Command, ctx: CommandContext, exit: (code: number) => void): void {
  program
    .command('init')
    .description('Prepare the project: create the state store (.steward/, or the database named by STEWARD_DATABASE_URL)')
    .action(async (_flags: unknown, command: Command) => {
      const options = ctx.project(command, 'init');
      await withStore(options, async (store) => {
        const kind = store.backend === 'embedded' ? 'embedded state store' : 'PostgreSQL state store';
        ctx.output.out(`${ctx.output.color.green(ctx.output.color.bold('Steward is initialised.'))} Using the ${kind} at ${store.location}.`);
      });
      exit(0);
    });
}
