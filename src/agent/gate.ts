import type { PlannedChange } from '../core/index.js';
import type { ChangeRequest } from '../store/index.js';
import { autonomyFor, labelsOf, type ResourceAutonomy } from './autonomy.js';
import { planHashOf, redactedSummary } from './change-hash.js';
import type { CycleContext } from './cycle-types.js';
import { destructiveReason } from './destructive.js';

/** What the autonomy gate decided for one planned change. */
export type Decision =
  | { readonly kind: 'act'; readonly change: PlannedChange; readonly request?: ChangeRequest }
  | { readonly kind: 'report'; readonly change: PlannedChange; readonly why: string }
  | { readonly kind: 'propose'; readonly change: PlannedChange; readonly why: string }
  | { readonly kind: 'wait'; readonly change: PlannedChange; readonly why: string }
  | { readonly kind: 'skip'; readonly change: PlannedChange; readonly why: string };

export const LEASED_ELSEWHERE = 'another replica holds its lease';

export function goalOf(change: PlannedChange): { readonly manifest: string | null; readonly resource: string } {
  const source = change.desired?.source;
  return { manifest: source ? `${source.file}:${source.line}` : null, resource: change.address };
}

function autonomyOf(ctx: CycleContext, change: PlannedChange): ResourceAutonomy {
  return autonomyFor(ctx.autonomy, { address: change.address, kind: change.kind, labels: labelsOf(change) });
}

/**
 * The autonomy gate for one change: skip (another replica's, denied by policy, backing off,
 * conflicted), report only (observe), act (auto, or an approved request whose plan hash still
 * holds), wait (a pending request for this very plan) or propose (anything else needing approval;
 * open requests for another plan of the resource go stale).
 */
export async function decide(ctx: CycleContext, change: PlannedChange, denied: ReadonlyMap<string, string>, open: readonly ChangeRequest[]): Promise<Decision> {
  if (ctx.leased && !ctx.leased.has(change.address)) return { kind: 'skip', change, why: LEASED_ELSEWHERE };
  const deniedBy = denied.get(change.address);
  if (deniedBy !== undefined) return { kind: 'skip', change, why: `denied by policy ${deniedBy}` };
  const hash = planHashOf(change);
  const held = ctx.retries.blocked(change.address, hash);
  if (held !== undefined) return { kind: 'skip', change, why: held };
  const autonomy = autonomyOf(ctx, change);
  if (autonomy.mode === 'observe') return { kind: 'report', change, why: `scope ${autonomy.scope} is in observe mode` };
  const destructive = destructiveReason(change, ctx.autonomy.guardrails.destructive.maxRevokedPrivileges);
  const needsApproval = autonomy.mode === 'propose' || (destructive !== undefined && !autonomy.allowDestructive);
  if (!needsApproval) {
    const refused = ctx.guards.admit(change);
    return refused === undefined ? { kind: 'act', change } : { kind: 'skip', change, why: refused };
  }
  const why = autonomy.mode === 'propose' ? `scope ${autonomy.scope} is in propose mode` : `${destructive} and scope ${autonomy.scope} does not allow destructive changes`;
  const mine = open.filter((r) => r.address === change.address);
  const approved = mine.find((r) => r.status === 'approved' && r.planHash === hash);
  if (approved) return { kind: 'act', change, request: approved };
  const waiting = mine.find((r) => r.status === 'pending' && r.planHash === hash);
  // Anything open for another plan of this resource was approved (or asked) for something that
  // is no longer what would be done: it goes stale and the new plan needs approval again.
  for (const r of mine) {
    if (r.planHash === hash) continue;
    await ctx.store.changeRequests.close(r.id, 'stale', ctx.actor, 'the live state or the manifest changed; re-planned and proposed again');
    ctx.log.info({ address: change.address, changeRequest: r.id }, 'change request went stale: re-planned');
  }
  if (waiting) return { kind: 'wait', change, why: `change request ${waiting.id} waits for approval` };
  return { kind: 'propose', change, why };
}

export function decisionText(d: Decision): string {
  switch (d.kind) {
    case 'act':
      return d.request ? `apply approved change request ${d.request.id}` : 'revert';
    case 'report':
      return 'report only';
    case 'propose':
      return 'propose';
    case 'wait':
      return 'wait for approval';
    case 'skip':
      return 'skip';
  }
}

export function reportKey(d: Decision): string {
  return `${planHashOf(d.change)}:${decisionText(d)}`;
}

/** Every drift observation is audited once per distinct planned change and decision, with what is done about it and why. */
export async function recordDrift(ctx: CycleContext, runId: string, d: Decision): Promise<void> {
  const hash = planHashOf(d.change);
  const decision = decisionText(d);
  const why = d.kind === 'act' ? 'the scope allows it' : d.why;
  ctx.reported.set(d.change.address, reportKey(d));
  const summary = redactedSummary(d.change);
  await ctx.store.audit.append({
    actor: ctx.actor,
    runId,
    address: d.change.address,
    action: 'drift.detected',
    beforeHash: null,
    afterHash: hash,
    outcome: 'info',
    error: null,
    detail: { goal: goalOf(d.change), trigger: ctx.trigger, change: summary, decision, why },
  });
  ctx.log.info({ address: d.change.address, action: d.change.action, fields: summary.fields.length, decision, why, trigger: ctx.trigger }, 'drift detected');
}

export async function propose(ctx: CycleContext, change: PlannedChange, why: string): Promise<void> {
  const request = await ctx.store.changeRequests.propose({
    address: change.address,
    action: change.action,
    planHash: planHashOf(change),
    plan: redactedSummary(change),
    reason: why,
    destructive: destructiveReason(change, ctx.autonomy.guardrails.destructive.maxRevokedPrivileges) !== undefined,
    proposer: ctx.actor,
    requiredApprovals: ctx.autonomy.requiredApprovals,
    expiresInMs: ctx.autonomy.expiryMs,
    goal: goalOf(change),
  });
  ctx.log.info({ address: change.address, changeRequest: request.id, why }, 'change request opened');
}

/** Open requests for resources that need no change any more are closed as obsolete. */
export async function closeObsolete(ctx: CycleContext, changing: ReadonlySet<string>): Promise<void> {
  const open = await ctx.store.changeRequests.list({ statuses: ['pending', 'approved'] });
  for (const r of open) {
    if (changing.has(r.address)) continue;
    if (ctx.leased && !ctx.leased.has(r.address)) continue;
    await ctx.store.changeRequests.close(r.id, 'obsolete', ctx.actor, 'nothing needs changing any more');
  }
}
