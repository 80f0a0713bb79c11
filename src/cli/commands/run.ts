import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { Command } from 'commander';
import { StewardError } from '../../core/index.js';
import { agentEnvironment } from '../../app/index.js';
import type { CommandContext } from '../context.js';

export function registerRun(program: Command, ctx: CommandContext, exit: (code: number) => void): void {
  program
    .command('run')
    .description("Run a command with an agent's connection settings (PGHOST ... PGPASSWORD, DATABASE_URL) in its environment; nothing is written to disk")
    .requiredOption('--agent <name>', 'the Agent whose current credential to use')
    .argument('<command...>', 'the command and its arguments (after --)')
    .action(async (args: readonly string[], flags: { readonly agent: string }, command: Command) => {
      const [file, ...rest] = args;
      if (file === undefined) throw new StewardError('invalid-input', 'give the command to run after --, e.g. steward run --agent billing-bot -- psql');
      const variables = await agentEnvironment(ctx.project(command, 'run'), flags.agent);
      const code = await new Promise<number>((resolve, reject) => {
        const child = spawn(file, rest, { stdio: 'inherit', env: { ...process.env, ...variables } });
        child.on('error', (error) => reject(new StewardError('invalid-input', `cannot run ${file}: ${error.message}`)));
        // A child ended by a signal exits the way a shell reports it: 128 + the signal's number.
        child.on('exit', (c, signal) => resolve(c ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 1)));
      });
      exit(code);
    });
}
