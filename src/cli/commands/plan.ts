import type { Command } from 'commander';
import { hasErrors } from '../../core/index.js';
import { runPlan } from '../../app/index.js';
import type { CommandContext } from '../context.js';
import { renderDiagnostics } from '../render/diagnostics.js';
import { planDocument } from '../render/json.js';
import { renderPlan } from '../render/plan.js';
import { policyWorthShowing, renderPolicy } from '../render/policy.js';

interface PlanFlags {
  readonly json: boolean;
  readonly detailedExitcode: boolean;
  readonly destroy: boolean;
}

export function registerPlan(program: Command, ctx: CommandContext, exit: (code: number) => void): void {
  program
    .command('plan')
    .description('Show what apply would change, comparing the manifests with the live infrastructure')
    .option('--json', 'print one JSON document (see docs/json-output.md)', false)
    .option('--detailed-exitcode', 'exit 0 when there are no changes, 2 when there are, 1 on error', false)
    .option('--destroy', 'plan the deletion of everything Steward manages', false)
    .action(async (flags: PlanFlags, command: Command) => {
      ctx.json = flags.json;
      const options = ctx.project(command, 'plan');
      const out = ctx.output;
      if (!flags.json) out.err(out.color.dim('Refreshing: observing the live state of every managed resource...'));
      const report = await runPlan(options, { destroy: flags.destroy });
      const plan = report.plan;
      if (flags.json) {
        out.out(JSON.stringify(planDocument(report), null, 2));
      } else {
        if (plan.diagnostics.length > 0) out.err(renderDiagnostics(plan.diagnostics, out.color));
        if (!hasErrors(plan.diagnostics)) out.out(renderPlan(plan, out.color, report.paused));
        if (policyWorthShowing(report.policy)) out.out(`\n${renderPolicy(report.policy, out.color)}`);
      }
      // A plan policy denies could not be applied: it is an error, whatever the exit-code mode.
      if (hasErrors(plan.diagnostics) || report.policy.denied.length > 0) return exit(1);
      const changed = plan.changes.some((c) => c.action !== 'no-op');
      exit(flags.detailedExitcode && changed ? 2 : 0);
    });
}
