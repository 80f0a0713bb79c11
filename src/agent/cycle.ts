import { hasErrors, type PlannedChange } from '../core/index.js';
import { judge, recordDecisions, refreshAndPlan, type LoadedProject } from '../app/index.js';
import { applyPlan, type ChangeResult, type PlanResult, type SessionPool } from '../engine/index.js';
import type { PolicySet } from '../policy/index.js';
import type { ChangeRequest, Store } from '../store/index.js';
import { autonomyFor, labelsOf, type ResolvedAutonomy, type ResourceAutonomy } from './autonomy.js';
import { changeSummary, planHashOf } from './change-hash.js';
import { destructiveReason } from './destructive.js';
import type { AgentLogger } from './logger.js';
import { SPAN, withSpan, type AgentMetrics, type Tracer } from './observability/index.js';
import type { RetryBook } from './retry.js';

/** Guards and counters the loop keeps across cycles (the guardrails). */
export interface CycleGuards {
  /** Asked before every mutation; a reason holds the change back. */
  readonly guard: (change: PlannedChange) => Promise<string | undefined>;
  /** Whether the resource may be acted on now (e.g. not conflicted); a reason skips it. */
  readonly admit: (change: PlannedChange) => string | undefined;
  /** Called with each finished change, to feed rate limits, breakers and flap detection. */
  readonly settled: (change: PlannedChange, result: ChangeResult) => void;
  /** A new cycle starts (blast radius per cycle). */
  readonly startCycle: () => void;
}

export interface CycleContext {
  readonly store: Store;
  readonly project: LoadedProject;
  readonly policies: PolicySet;
  readonly autonomy: ResolvedAutonomy;
  readonly sessions: SessionPool;
  readonly actor: string;
  readonly parallelism: number;
  readonly log: AgentLogger;
  readonly retries: RetryBook;
  readonly guards: CycleGuards;
  /** Resources this replica holds the lease of; undefined when it is the only one (embedded store). */
  readonly leased?: ReadonlySet<string>;
  /** Drift already reported, by address → change hash, so a persisting drift is audited once. */
  readonly reported: Map<string, string>;
  readonly signal?: AbortSignal;
  /** Why this cycle runs (event, fingerprint, resync, approval...), for the log and the audit. */
  readonly trigger: string;
  /** When the first of those reasons was signalled (performance.now()), for time-to-detect. */
  readonly signalledAt: number;
  readonly metrics?: AgentMetrics;
  readonly tracer?: Tracer;
  /** When each address was first seen drifted (performance.now()), for time-to-fix. */
  readonly driftSince: Map<string, number>;
}

export interface CycleOutcome {
  readonly drifted: number;
  readonly acted: number;
  readonly proposed: number;
  readonly failed: number;
  /** A cycle was skipped because another one (or a person's apply) holds the apply lock. */
  readonly busy: boolean;
  /** Changes a guard held back (paused, rate limited, breaker open...): worth another try later. */
  readonly held?: number;
}

type Decision =
  | { readonly kind: 'act'; readonly change: PlannedChange; readonly request?: ChangeRequest }
  | { readonly kind: 'report'; readonly change: PlannedChange; readonly why: string }
  | { readonly kind: 'propose'; readonly change: PlannedChange; readonly why: string }
  | { readonly kind: 'wait'; readonly change: PlannedChange; readonly why: string }
  | { readonly kind: 'skip'; readonly change: PlannedChange; readonly why: string };

const LEASED_ELSEWHERE = 'another replica holds its lease';

function goalOf(change: PlannedChange): { readonly manifest: string | null; readonly resource: string } {
  const source = change.desired?.source;
  return { manifest: source ? `${source.file}:${source.line}` : null, resource: change.address };
}

function autonomyOf(ctx: CycleContext, change: PlannedChange): ResourceAutonomy {
  return autonomyFor(ctx.autonomy, { address: change.address, kind: change.kind, labels: labelsOf(change) });
}

/**
 * One level-based pass: observe → diff → policy → autonomy gate → act → verify → record. It holds
 * the project's apply lock throughout (so it never overlaps a person's apply or another replica's
 * recovery), recovers intents a killed process left, and records a run only when it has
 * something to record.
 */
export async function runCycle(ctx: CycleContext): Promise<CycleOutcome> {
  if (!ctx.tracer) return cycle(ctx);
  return withSpan(ctx.tracer, SPAN.reconcile, { 'steward.trigger': ctx.trigger, 'steward.resources': ctx.project.resources.length }, async (span) => {
    const outcome = await cycle(ctx);
    span.setAttributes({ 'steward.drifted': outcome.drifted, 'steward.acted': outcome.acted, 'steward.proposed': outcome.proposed, 'steward.failed': outcome.failed });
    return outcome;
  });
}

function step<T>(ctx: CycleContext, name: string, fn: () => Promise<T>): Promise<T> {
  return ctx.tracer ? withSpan(ctx.tracer, name, {}, fn) : fn();
}

async function cycle(ctx: CycleContext): Promise<CycleOutcome> {
  const { store } = ctx;
  let lock;
  try {
    lock = await store.acquireApplyLock({ timeoutMs: 0 });
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'lock-timeout') return { drifted: 0, acted: 0, proposed: 0, failed: 0, busy: true };
    throw error;
  }
  let runId: string | undefined;
  let status: 'succeeded' | 'failed' | 'partial' = 'succeeded';
  let summary: unknown = {};
  const startRun = async (): Promise<string> => (runId ??= await store.startRun({ command: 'agent', actor: ctx.actor }));
  try {
    const desired = ctx.project.resources;
    const kinds = ctx.project.kinds;
    const pending = await store.unresolvedIntents();
    const recovery = pending.length > 0 ? { runId: await startRun() } : undefined;
    const refreshed = await step(ctx, SPAN.observe, () => refreshAndPlan(store, desired, kinds, ctx.sessions, recovery));
    for (const r of refreshed.recoveries) ctx.log.warn({ address: r.address, action: r.action, outcome: r.outcome }, 'recovered an intent an interrupted run left pending');
    const { plan, policy } = await step(ctx, SPAN.policy, async () => judge(ctx.policies, desired, refreshed.plan));
    if (hasErrors(plan.diagnostics)) {
      ctx.log.error({ diagnostics: plan.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.address ?? ''} ${d.summary}`) }, 'the plan has errors; nothing is changed');
      summary = { error: 'the plan has errors' };
      status = 'failed';
      return { drifted: 0, acted: 0, proposed: 0, failed: 0, busy: false };
    }
    const actionable = plan.changes.filter((c) => c.action !== 'no-op');
    await closeObsolete(ctx, new Set(actionable.map((c) => c.address as string)));
    for (const address of [...ctx.reported.keys()]) if (!actionable.some((c) => c.address === address)) ctx.reported.delete(address);
    for (const address of [...ctx.driftSince.keys()]) if (!actionable.some((c) => c.address === address)) ctx.driftSince.delete(address);
    for (const change of actionable) {
      if (ctx.driftSince.has(change.address)) continue;
      ctx.driftSince.set(change.address, performance.now());
      ctx.metrics?.driftDetected(change.kind);
      ctx.metrics?.observeTimeToDetect(change.kind, performance.now() - ctx.signalledAt);
    }
    const denied = new Map(policy.denied.map((d) => [d.address as string, `${d.ruleId}: ${d.message}`]));
    const open = actionable.length > 0 ? await store.changeRequests.list({ statuses: ['pending', 'approved'] }) : [];
    const decisions: Decision[] = [];
    await step(ctx, SPAN.plan, async () => {
      for (const change of actionable) decisions.push(await decide(ctx, change, denied, open));
    });
    const fresh = decisions.filter((d) => !(d.kind === 'skip' && d.why === LEASED_ELSEWHERE) && ctx.reported.get(d.change.address) !== reportKey(d));
    const busy = decisions.some((d) => d.kind === 'act' || d.kind === 'propose');
    // Nothing new to say and nothing to do: no run, no audit entries (a persisting drift is reported once).
    if (!busy && fresh.length === 0 && plan.forget.length === 0 && runId === undefined) {
      return { drifted: actionable.length, acted: 0, proposed: 0, failed: 0, busy: false };
    }
    const run = await startRun();
    const relevant = new Set([...fresh, ...decisions.filter((d) => d.kind === 'act' || d.kind === 'propose')].map((d) => d.change.address as string));
    await recordDecisions(store, policy.decisions.filter((d) => relevant.has(d.address)), run, ctx.actor);
    for (const d of fresh) await recordDrift(ctx, run, d);

    const toAct = decisions.filter((d): d is Extract<Decision, { kind: 'act' }> => d.kind === 'act');
    let proposed = 0;
    for (const d of decisions) {
      if (d.kind !== 'propose') continue;
      await propose(ctx, d.change, d.why);
      ctx.metrics?.action('proposed');
      proposed += 1;
    }
    let failed = 0;
    let held = 0;
    if (toAct.length > 0 || plan.forget.length > 0) {
      ctx.guards.startCycle();
      const selected = new Set(toAct.map((d) => d.change.address as string));
      const subset: PlanResult = { ...plan, changes: plan.changes.filter((c) => c.action === 'no-op' || selected.has(c.address)) };
      const apply = await step(ctx, SPAN.apply, () => applyPlan(subset, {
        recorder: store,
        sessions: ctx.sessions,
        kinds,
        prior: refreshed.prior,
        runId: run,
        actor: ctx.actor,
        parallelism: ctx.parallelism,
        signal: ctx.signal,
        guard: ctx.guards.guard,
      }));
      const requests = new Map(toAct.filter((d) => d.request).map((d) => [d.change.address as string, d.request!]));
      const byAddress = new Map(toAct.map((d) => [d.change.address as string, d.change]));
      for (const result of apply.results) {
        const change = byAddress.get(result.address);
        if (!change) continue;
        ctx.guards.settled(change, result);
        ctx.metrics?.action(result.status === 'skipped' ? 'held' : result.status);
        if (result.status === 'failed') {
          failed += 1;
          const retry = ctx.retries.failed(change, planHashOf(change), result.error ?? 'failed');
          ctx.log.warn({ address: result.address, error: result.error, retry }, 'a change failed');
        } else if (result.status === 'succeeded') {
          ctx.retries.succeeded(result.address);
          ctx.reported.delete(result.address);
          const since = ctx.driftSince.get(result.address);
          if (since !== undefined) ctx.metrics?.observeTimeToFix(change.kind, performance.now() - since);
          ctx.driftSince.delete(result.address);
          ctx.log.info({ address: result.address, action: result.action, durationMs: result.durationMs }, 'reconciled');
        } else {
          held += 1;
          ctx.log.warn({ address: result.address, reason: result.error }, 'a change was held back');
        }
        const request = requests.get(result.address);
        if (request && result.status !== 'skipped') {
          await store.changeRequests.close(request.id, result.status === 'succeeded' ? 'applied' : 'failed', ctx.actor, result.error ?? 'applied as approved');
        }
      }
      status = failed === 0 ? 'succeeded' : failed === apply.results.length ? 'failed' : 'partial';
      summary = { trigger: ctx.trigger, planned: plan.summary, acted: toAct.length, failed, proposed };
      return { drifted: actionable.length, acted: toAct.length - failed - held, proposed, failed, busy: false, held };
    }
    summary = { trigger: ctx.trigger, planned: plan.summary, acted: 0, proposed };
    return { drifted: actionable.length, acted: 0, proposed, failed: 0, busy: false };
  } catch (error) {
    status = 'failed';
    summary = { trigger: ctx.trigger, error: error instanceof Error ? error.message : String(error) };
    throw error;
  } finally {
    if (runId !== undefined) await store.finishRun(runId, status, summary).catch(() => undefined);
    await lock.release();
  }
}

async function decide(ctx: CycleContext, change: PlannedChange, denied: ReadonlyMap<string, string>, open: readonly ChangeRequest[]): Promise<Decision> {
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

function decisionText(d: Decision): string {
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

function reportKey(d: Decision): string {
  return `${planHashOf(d.change)}:${decisionText(d)}`;
}

/** Every drift observation is audited once per distinct planned change and decision, with what is done about it and why. */
async function recordDrift(ctx: CycleContext, runId: string, d: Decision): Promise<void> {
  const hash = planHashOf(d.change);
  const decision = decisionText(d);
  const why = d.kind === 'act' ? 'the scope allows it' : d.why;
  ctx.reported.set(d.change.address, reportKey(d));
  const summary = changeSummary(d.change);
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

async function propose(ctx: CycleContext, change: PlannedChange, why: string): Promise<void> {
  const request = await ctx.store.changeRequests.propose({
    address: change.address,
    action: change.action,
    planHash: planHashOf(change),
    plan: changeSummary(change),
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
async function closeObsolete(ctx: CycleContext, changing: ReadonlySet<string>): Promise<void> {
  const open = await ctx.store.changeRequests.list({ statuses: ['pending', 'approved'] });
  for (const r of open) {
    if (changing.has(r.address)) continue;
    if (ctx.leased && !ctx.leased.has(r.address)) continue;
    await ctx.store.changeRequests.close(r.id, 'obsolete', ctx.actor, 'nothing needs changing any more');
  }
}
