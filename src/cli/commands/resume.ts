import type { Command } from 'commander';
import { currentActor, withStore } from '../../app/index.js';
import type { CommandContext } from '../context.js';
import { SCOPE_HELP, renderPauses, scopeFlag } from './pause.js';

interface ResumeFlags {
  readonly scope: string;
  readonly json: boolean;
}

export function registerResume(program: Command, ctx: CommandContext, exit: (code: number) => void): void {
  program
    .command('resume')
    .description('Lift a pause set with `steward pause` (exit 1 if the scope was not paused)')
    .option('--scope <scope>', SCOPE_HELP, 'project')
    .option('--json', 'print JSON', false)
    .action(async (flags: ResumeFlags, command: Command) => {
      ctx.json = flags.json;
      const scope = scopeFlag(flags.scope);
      const options = ctx.project(command, 'resume');
      const actor = currentActor(options.env);
      let resumed = false;
      await withStore(options, async (store) => {
        resumed = await store.pauses.resume({ scope, actor });
        const still = await store.pauses.active();
        const out = ctx.output;
        if (flags.json) {
          out.out(JSON.stringify({ scope, resumed, active: still }, null, 2));
          return;
        }
        if (resumed) out.out(`${out.color.green(out.color.bold('Resumed:'))} ${scope}. Mutations in this scope may start again.`);
        else out.err(`${scope} was not paused; nothing was changed.`);
        if (still.length > 0) out.out(`Still paused:\n${renderPauses(still, out)}`);
      });
      exit(resumed ? 0 : 1);
    });
}
