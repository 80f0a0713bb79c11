import type { Command } from 'commander';
import { StewardError } from '../../core/index.js';
import { runRotate } from '../../app/index.js';
import type { CommandContext } from '../context.js';
import { renderRotationEvent } from '../render/identities.js';

export function registerRotate(program: Command, ctx: CommandContext, exit: (code: number) => void): void {
  program
    .command('rotate [agent]')
    .description('Rotate agent credentials (alternating logins, no failed login): one agent now, or every agent that is due with --due')
    .option('--due', 'rotate every agent whose period has passed (for cron or the running agent)', false)
    .option('--wait', 'wait out the grace period and retire the old login before returning', false)
    .option('--json', 'print JSON', false)
    .action(async (agent: string | undefined, flags: { readonly due: boolean; readonly wait: boolean; readonly json: boolean }, command: Command) => {
      ctx.json = flags.json;
      if (agent === undefined && !flags.due) throw new StewardError('invalid-input', 'name an agent (steward rotate billing-bot) or use --due');
      const report = await runRotate(ctx.project(command, 'rotate'), { ...(agent === undefined ? {} : { agent }), due: flags.due, wait: flags.wait });
      if (flags.json) ctx.output.out(JSON.stringify({ formatVersion: '1', command: 'rotate', runId: report.runId, events: report.events, notDue: report.notDue, held: report.held }, null, 2));
      else {
        for (const event of report.events) ctx.output.out(renderRotationEvent(event));
        for (const name of report.notDue) ctx.output.out(`Agent/${name}: not due`);
        for (const h of report.held) ctx.output.err(`Agent/${h.agent}: not rotated: ${h.reason}`);
      }
      // Asked for by name and held back by the kill switch: the rotation did not happen.
      exit(agent !== undefined && report.held.length > 0 ? 1 : 0);
    });
}
