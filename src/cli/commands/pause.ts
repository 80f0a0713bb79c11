import type { Command } from 'commander';
import { StewardError } from '../../core/index.js';
import { formatScope, parseScope } from '../../core/scope.js';
import { currentActor, withStore } from '../../app/index.js';
import type { PauseRecord } from '../../store/index.js';
import type { CommandContext } from '../context.js';
import type { Output } from '../output.js';
import { renderTable } from '../render/table.js';

interface PauseFlags {
  readonly scope: string;
  readonly reason?: string;
  readonly list: boolean;
  readonly json: boolean;
}

export const SCOPE_HELP = 'project, kind:KIND, resource:KIND/NAME or labels:KEY=VALUE[,KEY=VALUE...]';

/** The canonical form of `--scope`, or an `invalid-input` error naming the flag. */
export function scopeFlag(text: string): string {
  const parsed = parseScope(text);
  if (!parsed.ok) throw new StewardError('invalid-input', `--scope: ${parsed.error}`);
  return formatScope(parsed.scope);
}

export const resumeCommand = (scope: string): string => (scope === 'project' ? 'steward resume' : `steward resume --scope ${scope}`);

export function renderPauses(pauses: readonly PauseRecord[], out: Output): string {
  if (pauses.length === 0) return 'Nothing is paused.';
  return renderTable(
    ['SCOPE', 'SINCE', 'BY', 'REASON'],
    pauses.map((p) => [out.color.yellow(p.scope), p.createdAt, p.actor, p.reason]),
  );
}

export function registerPause(program: Command, ctx: CommandContext, exit: (code: number) => void): void {
  program
    .command('pause')
    .description('Kill switch: stop every mutation in a scope (running applies and agents included) until resumed')
    .option('--scope <scope>', SCOPE_HELP, 'project')
    .option('--reason <text>', 'why, recorded in the audit log with who paused')
    .option('--list', 'show the active pauses instead', false)
    .option('--json', 'print JSON', false)
    .action(async (flags: PauseFlags, command: Command) => {
      ctx.json = flags.json;
      const out = (): Output => ctx.output;
      if (flags.list) {
        await withStore(ctx.project(command, 'pause --list'), async (store) => {
          const pauses = await store.pauses.active();
          out().out(flags.json ? JSON.stringify(pauses, null, 2) : renderPauses(pauses, out()));
        });
        return exit(0);
      }
      const scope = scopeFlag(flags.scope);
      const reason = flags.reason?.trim();
      if (!reason) throw new StewardError('invalid-input', '--reason is required: say why the scope is paused (it is recorded in the audit log)');
      const options = ctx.project(command, 'pause');
      const actor = currentActor(options.env);
      await withStore(options, async (store) => {
        const before = (await store.pauses.active()).find((p) => p.scope === scope);
        const pause = await store.pauses.pause({ scope, reason, actor });
        const already = before !== undefined && before.id === pause.id;
        if (flags.json) {
          out().out(JSON.stringify({ pause, alreadyPaused: already }, null, 2));
          return;
        }
        const o = out();
        if (already) {
          o.out(`${o.color.yellow(o.color.bold('Already paused:'))} ${scope} since ${pause.createdAt} by ${pause.actor} (${pause.reason}); left as it is.`);
        } else {
          o.out(
            `${o.color.yellow(o.color.bold('Paused:'))} ${scope} (${reason}). No new mutation in this scope starts from now on;` +
              ` running applies and agents hold back their next one within a second.`,
          );
        }
        o.out(`Lift it with \`${resumeCommand(scope)}\`.`);
      });
      exit(0);
    });
}
