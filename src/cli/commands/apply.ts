import type { Command } from 'commander';
import { StewardError, hasErrors } from '../../core/index.js';
import { runApply, type ApplyReport } from '../../app/index.js';
import { confirm } from '../confirm.js';
import type { CommandContext } from '../context.js';
import { renderApplyEvent, renderApplySummary } from '../render/apply.js';
import { renderDiagnostics } from '../render/diagnostics.js';
import { renderIdentitySync } from '../render/identities.js';
import { applyDocument } from '../render/json.js';
import { renderPlan } from '../render/plan.js';
import { policyWorthShowing, renderPolicy } from '../render/policy.js';

interface ApplyFlags {
  readonly json: boolean;
  readonly autoApprove: boolean;
}

async function run(command: Command, ctx: CommandContext, flags: ApplyFlags, destroy: boolean): Promise<number> {
  ctx.json = flags.json;
  const options = ctx.project(command, destroy ? 'destroy' : 'apply');
  const out = ctx.output;
  if (flags.json && !flags.autoApprove) {
    throw new StewardError('invalid-input', `--json needs --auto-approve: a JSON run cannot ask for confirmation`);
  }
  const controller = new AbortController();
  const interrupt = (): void => {
    if (controller.signal.aborted) return;
    controller.abort();
    out.err(out.color.yellow('Interrupt received: finishing the changes in progress, starting no new ones...'));
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  let report: ApplyReport;
  try {
    if (!flags.json) out.err(out.color.dim('Refreshing: observing the live state of every managed resource...'));
    report = await runApply(
      options,
      {
        confirm: async (planned) => {
          if (!flags.json) out.out(renderPlan(planned.plan, out.color, planned.paused));
          if (!flags.json && policyWorthShowing(planned.policy)) out.out(`\n${renderPolicy(planned.policy, out.color)}`);
          if (flags.autoApprove) return true;
          const verb = destroy ? 'destroy all managed resources' : 'perform these actions';
          return confirm(`\nDo you want to ${verb}?\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: `, (t) => process.stdout.write(t));
        },
        onEvent: flags.json ? undefined : (event) => out.out(renderApplyEvent(event, out.color)),
        signal: controller.signal,
      },
      { destroy },
    );
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  }
  const plan = report.plan;
  if (flags.json) {
    out.out(JSON.stringify(applyDocument(report, destroy ? 'destroy' : 'apply'), null, 2));
  } else {
    if (plan.diagnostics.length > 0) out.err(renderDiagnostics(plan.diagnostics, out.color));
    for (const r of report.recoveries) {
      out.err(`${r.address}: an interrupted ${r.action} was re-observed (${r.exists ? 'it exists' : 'it does not exist'}) and recorded`);
    }
    const denied = report.policy.denied.length > 0;
    if (!hasErrors(plan.diagnostics) && denied) {
      out.out(renderPlan(plan, out.color));
      out.out(`\n${renderPolicy(report.policy, out.color)}`);
      out.err(`${destroy ? 'Destroy' : 'Apply'} refused: policy denies the plan; nothing was changed.`);
    } else if (!hasErrors(plan.diagnostics)) {
      if (!report.approved) out.err(`${destroy ? 'Destroy' : 'Apply'} cancelled: the changes were not approved.`);
      else if (!plan.changes.some((c) => c.action !== 'no-op')) {
        out.out(renderPlan(plan, out.color));
        if (policyWorthShowing(report.policy)) out.out(`\n${renderPolicy(report.policy, out.color)}`);
      } else if (report.apply) out.out(`\n${renderApplySummary(report.apply, out.color, destroy ? 'Destroy' : 'Apply')}`);
      const identities = report.identities === undefined ? undefined : renderIdentitySync(report.identities, out.color);
      if (identities !== undefined) out.out(`\n${identities}`);
    }
  }
  if (hasErrors(plan.diagnostics) || !report.approved) return 1;
  return report.apply?.ok === false ? 1 : 0;
}

export function registerApply(program: Command, ctx: CommandContext, exit: (code: number) => void): void {
  program
    .command('apply')
    .description('Make the live infrastructure match the manifests, after showing the plan and asking for approval')
    .option('--auto-approve', 'apply without asking for confirmation', false)
    .option('--json', 'print one JSON document with the plan and the outcome of every change (needs --auto-approve)', false)
    .action(async (flags: ApplyFlags, command: Command) => exit(await run(command, ctx, flags, false)));
  program
    .command('destroy')
    .description('Delete every resource Steward manages in this project (protected ones stop it)')
    .option('--auto-approve', 'destroy without asking for confirmation', false)
    .option('--json', 'print one JSON document (needs --auto-approve)', false)
    .action(async (flags: ApplyFlags, command: Command) => exit(await run(command, ctx, flags, true)));
}
