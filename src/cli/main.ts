import { Command, Option } from 'commander';
import { registerAgent } from './commands/agent.js';
import { registerApprovals } from './commands/approvals.js';
import { registerApply } from './commands/apply.js';
import { registerAudit } from './commands/audit.js';
import { registerImport } from './commands/import.js';
import { registerInit } from './commands/init.js';
import { registerPause } from './commands/pause.js';
import { registerPlan } from './commands/plan.js';
import { registerPolicy } from './commands/policy.js';
import { registerResume } from './commands/resume.js';
import { registerRotate } from './commands/rotate.js';
import { registerRun } from './commands/run.js';
import { registerScan } from './commands/scan.js';
import { registerSecret } from './commands/secret.js';
import { registerSchema } from './commands/schema.js';
import { registerState } from './commands/state.js';
import { registerValidate } from './commands/validate.js';
import { CommandContext, DEFAULT_PARALLELISM } from './context.js';
import { reportError } from './errors.js';
import { tuneRuntime } from './runtime.js';
import { stewardVersion } from './version.js';

export function buildProgram(ctx: CommandContext, exit: (code: number) => void): Command {
  const program = new Command('steward')
    .description('Steward: infrastructure and non-human identities as code, planned, applied and audited')
    .version(stewardVersion(), '-v, --version', 'print the version')
    .option('-C, --dir <dir>', 'project directory holding the manifests and .steward/', '.')
    .option('--lock-timeout <duration>', 'how long to wait for another run holding the lock (e.g. 30s)', '0s')
    .option('--parallelism <n>', 'how many changes may run at once', String(DEFAULT_PARALLELISM))
    .option('--no-color', 'plain output without colours')
    .addOption(new Option('--debug', 'show stack traces for unexpected errors').default(false))
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerInit(program, ctx, exit);
  registerValidate(program, ctx, exit);
  registerPlan(program, ctx, exit);
  registerApply(program, ctx, exit);
  registerImport(program, ctx, exit);
  registerState(program, ctx, exit);
  registerAudit(program, ctx, exit);
  registerPause(program, ctx, exit);
  registerResume(program, ctx, exit);
  registerScan(program, ctx, exit);
  registerSchema(program, ctx, exit);
  registerPolicy(program, ctx, exit);
  registerAgent(program, ctx, exit);
  registerApprovals(program, ctx, exit);
  registerSecret(program, ctx, exit);
  registerRotate(program, ctx, exit);
  registerRun(program, ctx, exit);
  for (const command of program.commands) {
    command.exitOverride();
    for (const sub of command.commands) sub.exitOverride();
  }
  return program;
}

/** Runs the command line and returns the exit code (0 ok, 1 error, 2 changes with --detailed-exitcode). */
export async function main(argv: readonly string[]): Promise<number> {
  tuneRuntime();
  const ctx = new CommandContext();
  let code = 0;
  const program = buildProgram(ctx, (c) => {
    code = c;
  });
  const name = argv.slice(2).filter((a) => !a.startsWith('-')).slice(0, 2).join(' ') || 'steward';
  try {
    await program.parseAsync([...argv]);
    return code;
  } catch (error) {
    return reportError(error, ctx, name);
  }
}
