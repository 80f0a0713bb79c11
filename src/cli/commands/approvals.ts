import type { Command } from 'commander';
import { decideChangeRequest, listChangeRequests, parseRequestId, showChangeRequest } from '../../agent/approvals.js';
import { StewardError } from '../../core/index.js';
import type { ChangeRequest, ChangeRequestStatus } from '../../store/index.js';
import type { CommandContext } from '../context.js';
import { renderTable } from '../render/table.js';

const STATUSES: readonly ChangeRequestStatus[] = ['pending', 'approved', 'rejected', 'applied', 'failed', 'stale', 'expired', 'obsolete'];

function approvals(r: ChangeRequest): string {
  return `${r.decisions.filter((d) => d.decision === 'approve').length}/${r.requiredApprovals}`;
}

function describe(r: ChangeRequest): string {
  const lines = [
    `Change request ${r.id}: ${r.action} ${r.address}`,
    `  status:     ${r.status}${r.outcome ? ` (${r.outcome})` : ''}`,
    `  why:        ${r.reason}`,
    `  proposer:   ${r.proposer}`,
    `  approvals:  ${approvals(r)}${r.destructive ? '  (destructive)' : ''}`,
    `  created:    ${r.createdAt}`,
    `  expires:    ${r.expiresAt}`,
    `  plan hash:  ${r.planHash}`,
  ];
  const plan = r.plan as { readonly fields?: readonly { readonly field: string; readonly before: unknown; readonly after: unknown }[] };
  for (const f of plan.fields ?? []) lines.push(`    ~ ${f.field}: ${JSON.stringify(f.before)} -> ${JSON.stringify(f.after)}`);
  for (const d of r.decisions) lines.push(`  ${d.decision === 'approve' ? 'approved' : 'rejected'} by ${d.approver} at ${d.decidedAt}${d.comment ? `: ${d.comment}` : ''}`);
  return lines.join('\n');
}

export function registerApprovals(program: Command, ctx: CommandContext, exit: (code: number) => void): void {
  const group = program.command('approvals').description("Review and decide the agent's change requests");

  group
    .command('list')
    .description('List change requests, newest first (pending and approved ones unless --all or --status)')
    .option('--all', 'every change request', false)
    .option('--status <status>', `only this status (${STATUSES.join(', ')})`)
    .option('--json', 'print JSON', false)
    .action(async (flags: { readonly all: boolean; readonly status?: string; readonly json: boolean }, command: Command) => {
      ctx.json = flags.json;
      if (flags.status !== undefined && !STATUSES.includes(flags.status as ChangeRequestStatus)) {
        throw new StewardError('invalid-input', `--status must be one of ${STATUSES.join(', ')}, not "${flags.status}"`);
      }
      const statuses: readonly ChangeRequestStatus[] | undefined = flags.status ? [flags.status as ChangeRequestStatus] : flags.all ? undefined : ['pending', 'approved'];
      const requests = await listChangeRequests(ctx.project(command, 'approvals list'), statuses);
      if (flags.json) ctx.output.out(JSON.stringify(requests, null, 2));
      else if (requests.length === 0) ctx.output.out('No change requests.');
      else ctx.output.out(renderTable(['ID', 'STATUS', 'ACTION', 'ADDRESS', 'APPROVALS', 'PROPOSER', 'EXPIRES'], requests.map((r) => [String(r.id), r.status, r.action, r.address, approvals(r), r.proposer, r.expiresAt])));
      exit(0);
    });

  group
    .command('show')
    .description('Show one change request: what it changes, why, and its decisions')
    .argument('<id>', 'change request id')
    .option('--json', 'print JSON', false)
    .action(async (id: string, flags: { readonly json: boolean }, command: Command) => {
      ctx.json = flags.json;
      const request = await showChangeRequest(ctx.project(command, 'approvals show'), parseRequestId(id));
      ctx.output.out(flags.json ? JSON.stringify(request, null, 2) : describe(request));
      exit(0);
    });

  for (const decision of ['approve', 'reject'] as const) {
    group
      .command(decision)
      .description(decision === 'approve' ? 'Approve a change request (as STEWARD_APPROVER_TOKEN holder, else the OS user)' : 'Reject a change request')
      .argument('<id>', 'change request id')
      .option('-m, --comment <text>', 'why')
      .option('--json', 'print JSON', false)
      .action(async (id: string, flags: { readonly comment?: string; readonly json: boolean }, command: Command) => {
        ctx.json = flags.json;
        const request = await decideChangeRequest(ctx.project(command, `approvals ${decision}`), { id: parseRequestId(id), decision, comment: flags.comment });
        if (flags.json) ctx.output.out(JSON.stringify(request, null, 2));
        else ctx.output.out(`Change request ${request.id} is now ${request.status} (${approvals(request)} approvals).`);
        exit(0);
      });
  }
}
