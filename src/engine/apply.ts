import {
  errorMessage,
  hashOf,
  type Attributes,
  type JsonValue,
  type KindDefinition,
  type PlannedChange,
  type ResourceAddress,
} from '../core/index.js';
import { diffAttributes } from './diff.js';
import type { PlanResult } from './planner.js';
import type { PriorRecord } from './prior.js';
import type { ApplyRecorder, RecordedState, StateAction } from './recorder.js';
import type { SessionPool } from './sessions.js';

export type ChangeStatus = 'succeeded' | 'failed' | 'skipped';

export interface ChangeResult {
  readonly address: ResourceAddress;
  readonly action: PlannedChange['action'];
  readonly status: ChangeStatus;
  readonly error?: string;
  readonly durationMs: number;
}

export type ApplyEvent =
  | { readonly type: 'start'; readonly change: PlannedChange }
  | { readonly type: 'finish'; readonly change: PlannedChange; readonly result: ChangeResult };

export interface ApplyContext {
  readonly recorder: ApplyRecorder;
  readonly sessions: SessionPool;
  readonly kinds: ReadonlyMap<string, KindDefinition>;
  readonly prior: readonly PriorRecord[];
  readonly runId: string;
  readonly actor: string;
  /** How many changes may run at once. */
  readonly parallelism: number;
  readonly onEvent?: (event: ApplyEvent) => void;
  /** When aborted, nothing new is started; what runs finishes and the rest is skipped. */
  readonly signal?: AbortSignal;
  /**
   * Asked right before each mutation (before its intent is recorded): a reason holds the change
   * back (it is skipped, and so is everything depending on it), `undefined` lets it go. This is
   * where a kill switch or a rate limit takes effect mid-run.
   */
  readonly guard?: (change: PlannedChange) => Promise<string | undefined>;
}

export interface ApplyResult {
  readonly ok: boolean;
  /** One per change that needed work, in the order they finished. */
  readonly results: readonly ChangeResult[];
}

/**
 * Carries out a plan: walks the changes in dependency order with bounded parallelism. Each
 * mutation is recorded as an intent first (no record, no mutation), verified by observing again,
 * then written to the state. A failure stops the scheduling of everything that depends on it;
 * independent work and what is already running carries on, and every outcome is recorded.
 */
export async function applyPlan(plan: PlanResult, ctx: ApplyContext): Promise<ApplyResult> {
  const priorByAddress = new Map(ctx.prior.map((p) => [p.address, p]));
  await syncUnchanged(plan, ctx, priorByAddress);

  const results: ChangeResult[] = [];
  const actionable = plan.changes.filter((c) => c.action !== 'no-op');
  const byAddress = new Map(actionable.map((c) => [c.address as string, c]));
  // Only dependencies that are themselves being changed gate a change; no-ops are already done.
  const waitingOn = new Map<string, number>();
  const dependants = new Map<string, PlannedChange[]>();
  for (const change of actionable) {
    const deps = change.dependsOn.filter((d) => byAddress.has(d));
    waitingOn.set(change.address, deps.length);
    // Pushed, not spread into a new array: a role has a dependant per grant, an instance one per resource.
    for (const d of deps) {
      const list = dependants.get(d);
      if (list) list.push(change);
      else dependants.set(d, [change]);
    }
  }
  const ready: PlannedChange[] = actionable.filter((c) => waitingOn.get(c.address) === 0);
  // Next ready change to start. A moving index instead of shift(): shift moves every remaining
  // element, and thousands of changes can be ready at once.
  let next = 0;
  const running = new Set<Promise<void>>();
  const parallelism = Math.max(1, ctx.parallelism);

  const record = (change: PlannedChange, result: ChangeResult): void => {
    results.push(result);
    ctx.onEvent?.({ type: 'finish', change, result });
  };
  const skipDependants = (address: string): void => {
    for (const dependant of dependants.get(address) ?? []) {
      if (!byAddress.delete(dependant.address)) continue;
      record(dependant, { address: dependant.address, action: dependant.action, status: 'skipped', error: `not started: ${address} did not succeed`, durationMs: 0 });
      skipDependants(dependant.address);
    }
  };
  const settle = (change: PlannedChange, result: ChangeResult): void => {
    record(change, result);
    if (result.status !== 'succeeded') {
      skipDependants(change.address);
      return;
    }
    for (const dependant of dependants.get(change.address) ?? []) {
      const left = (waitingOn.get(dependant.address) ?? 1) - 1;
      waitingOn.set(dependant.address, left);
      if (left === 0 && byAddress.has(dependant.address)) ready.push(dependant);
    }
  };

  while (next < ready.length || running.size > 0) {
    while (next < ready.length && running.size < parallelism) {
      const change = ready[next++]!;
      if (!byAddress.delete(change.address)) continue;
      if (ctx.signal?.aborted) {
        settle(change, { address: change.address, action: change.action, status: 'skipped', error: 'not started: the run was interrupted', durationMs: 0 });
        continue;
      }
      ctx.onEvent?.({ type: 'start', change });
      const started = Date.now();
      const work: Promise<void> = guarded(change, ctx, priorByAddress.get(change.address)).then(
        (held) =>
          settle(
            change,
            held === undefined
              ? { address: change.address, action: change.action, status: 'succeeded', durationMs: Date.now() - started }
              : { address: change.address, action: change.action, status: 'skipped', error: `held back: ${held}`, durationMs: Date.now() - started },
          ),
        (error: unknown) =>
          settle(change, { address: change.address, action: change.action, status: 'failed', error: errorMessage(error), durationMs: Date.now() - started }),
      );
      const tracked: Promise<void> = work.finally(() => running.delete(tracked));
      running.add(tracked);
    }
    if (running.size > 0) await Promise.race(running);
  }
  // Anything left was never ready: only possible with a malformed (cyclic) plan.
  for (const change of byAddress.values()) {
    record(change, { address: change.address, action: change.action, status: 'skipped', error: 'not started: unsatisfiable dependencies', durationMs: 0 });
  }

  for (const address of plan.forget) {
    await ctx.recorder.removeResource(address, { runId: ctx.runId, action: 'delete' });
    await ctx.recorder.audit.append({
      actor: ctx.actor,
      runId: ctx.runId,
      address,
      action: 'forget',
      beforeHash: null,
      afterHash: null,
      outcome: 'info',
      error: null,
      detail: { reason: 'removed from the manifests and already gone from the target' },
    });
  }
  return { ok: results.every((r) => r.status === 'succeeded'), results };
}

function stateRecord(change: PlannedChange, observed: Attributes, providerId: string | undefined): RecordedState {
  const desired = change.desired!;
  return {
    address: change.address,
    kind: change.kind,
    name: change.name,
    target: change.target,
    specHash: hashOf(desired.spec),
    spec: desired.spec as JsonValue,
    attributes: observed,
    providerId: providerId ?? null,
    dependencies: desired.dependsOn,
    protect: desired.protect,
  };
}

/** Brings state in line for resources that need no change (adopted, or recorded differently). */
async function syncUnchanged(plan: PlanResult, ctx: ApplyContext, prior: ReadonlyMap<string, PriorRecord>): Promise<void> {
  for (const change of plan.changes) {
    if (change.action !== 'no-op' || !change.desired || !change.observed) continue;
    const record = stateRecord(change, change.observed, change.providerId);
    const existing = prior.get(change.address);
    if (existing && hashOf(pickComparable(existing)) === hashOf(pickComparable(record))) continue;
    const action: StateAction = existing ? 'refresh' : 'adopt';
    await ctx.recorder.putResource(record, { runId: ctx.runId, action });
    if (!existing) {
      await ctx.recorder.audit.append({
        actor: ctx.actor,
        runId: ctx.runId,
        address: change.address,
        action: 'adopt',
        beforeHash: null,
        afterHash: hashOf(change.observed),
        outcome: 'info',
        error: null,
        detail: { reason: 'existed as declared; now managed' },
      });
    }
  }
}

function pickComparable(r: PriorRecord | RecordedState): unknown {
  return { target: r.target, specHash: r.specHash, attributes: r.attributes, dependencies: [...r.dependencies].sort(), protect: r.protect, providerId: r.providerId ?? null };
}

/** Runs the change unless the guard holds it back; returns the guard's reason when it did. */
async function guarded(change: PlannedChange, ctx: ApplyContext, prior: PriorRecord | undefined): Promise<string | undefined> {
  const held = ctx.guard ? await ctx.guard(change) : undefined;
  if (held !== undefined) return held;
  await execute(change, ctx, prior);
  return undefined;
}

async function execute(change: PlannedChange, ctx: ApplyContext, prior: PriorRecord | undefined): Promise<void> {
  const kind = ctx.kinds.get(change.kind)!;
  const session = await ctx.sessions.session(change.target);
  const desiredAttrs = change.desired ? kind.desiredAttributes(change.name, change.desired.spec) : undefined;
  const intent = await ctx.recorder.recordIntent({
    runId: ctx.runId,
    actor: ctx.actor,
    address: change.address,
    action: change.action,
    beforeHash: change.observed ? hashOf(change.observed) : null,
    afterHash: desiredAttrs ? hashOf(desiredAttrs) : null,
    detail: { fields: change.changes.map((c) => c.field), reason: change.reason, adopt: change.adopt },
  });
  try {
    switch (change.action) {
      case 'create':
        await session.create(change.desired!);
        break;
      case 'update':
        await session.update(change.desired!, change.changes);
        break;
      case 'replace':
        await session.delete(change.kind, change.name, change.desired!.spec);
        await session.create(change.desired!);
        break;
      case 'delete':
        await session.delete(change.kind, change.name, change.priorSpec ?? null);
        break;
      case 'no-op':
        break;
    }
    const spec = change.desired ? change.desired.spec : (change.priorSpec ?? null);
    const found = (await session.observe(change.kind, [{ name: change.name, spec }])).get(change.name);
    if (change.action === 'delete') {
      if (found) throw new Error('verification failed: it still exists after the delete');
      if (prior) await ctx.recorder.removeResource(change.address, { runId: ctx.runId, action: 'delete' });
      await ctx.recorder.resolveIntent(intent, { status: 'succeeded', afterHash: null });
      return;
    }
    if (!found) throw new Error(`verification failed: it does not exist after the ${change.action}`);
    const left = diffAttributes(desiredAttrs!, found.attributes, kind.fields);
    if (left.length > 0) {
      const fields = left.map((c) => `${c.field} is ${JSON.stringify(c.before)}, expected ${JSON.stringify(c.after)}`).join('; ');
      throw new Error(`verification failed after the ${change.action}: ${fields}`);
    }
    const action: StateAction = change.action === 'update' && change.adopt ? 'adopt' : change.action === 'replace' ? 'replace' : change.action === 'create' ? 'create' : 'update';
    await ctx.recorder.putResource(stateRecord(change, found.attributes, found.providerId), { runId: ctx.runId, action });
    await ctx.recorder.resolveIntent(intent, { status: 'succeeded', afterHash: hashOf(found.attributes) });
  } catch (error) {
    await ctx.recorder
      .resolveIntent(intent, { status: 'failed', error: errorMessage(error) })
      .catch(() => undefined /* stays pending: the next run re-observes and reconciles it */);
    throw error;
  }
}
