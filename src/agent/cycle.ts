import { judge, recordDecisions, refreshAndPlan, syncIdentities } from '../app/index.js';
import { errorMessage, hasErrors } from '../core/index.js';
import { applyPlan, type ApplyResult, type PlanResult } from '../engine/index.js';
import { planHashOf } from './change-hash.js';
import type { CycleContext, CycleOutcome } from './cycle-types.js';
import { closeObsolete, decide, LEASED_ELSEWHERE, propose, recordDrift, reportKey, type Decision } from './gate.js';
import { SPAN, withSpan } from './observability/index.js';

export type { CycleContext, CycleGuards, CycleOutcome } from './cycle-types.js';

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
    const recovery = pending.length > 0 ? { runId: await startRun(), store } : undefined;
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
      await afterApply(ctx, run, apply);
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

/**
 * What `steward apply` does after the plan's changes, done after the agent's too: generated
 * secrets get a value, role passwords follow their references, and an agent whose roles the
 * (approved) plan has dropped is decommissioned — secrets destroyed, delivered files deleted.
 * Identity work that fails is logged and retried after the next apply; it never fails the cycle.
 */
async function afterApply(ctx: CycleContext, runId: string, apply: ApplyResult): Promise<void> {
  if (!apply.results.some((r) => r.status === 'succeeded')) return;
  try {
    const report = await syncIdentities({ store: ctx.store, resources: ctx.project.resources, projectDir: ctx.project.dir, env: ctx.env, runId, actor: ctx.actor, results: apply.results });
    for (const name of report.decommissioned) ctx.log.info({ agent: name }, `Agent/${name} decommissioned: secrets destroyed, delivered files deleted`);
    for (const name of report.secretsDestroyed) ctx.log.info({ secret: name }, `Secret/${name} destroyed`);
    for (const name of report.secretsCreated) ctx.log.info({ secret: name }, `Secret/${name} generated`);
    for (const event of report.events) ctx.log.info({ ...event }, `Agent/${event.agent}: ${event.type}`);
    for (const problem of report.problems) ctx.log.warn({ problem }, 'identity work left for later');
  } catch (error) {
    ctx.log.warn({ error: errorMessage(error) }, 'identity work after the apply failed; retried after the next apply');
  }
}
