import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  DiagnosticsError,
  hasChanges,
  hasErrors,
  type Diagnostic,
  type DesiredResource,
  type KindDefinition,
} from '../core/index.js';
import {
  applyPlan,
  planChanges,
  recoverIntents,
  refresh,
  SessionPool,
  startRefresh,
  type ApplyContext,
  type ApplyEvent,
  type ApplyResult,
  type PlanResult,
  type PriorRecord,
  type Recovery,
  type StartedRefresh,
} from '../engine/index.js';
import { POLICY } from '../kinds/policy.js';
import {
  evaluatePlanPolicies,
  policySetOf,
  prepareRules,
  type DisabledRule,
  type EnforcementOverride,
  type PolicyDecision,
  type PolicyEvaluation,
  type PolicySet,
} from '../policy/index.js';
import type { InstanceSecrets } from '../providers/postgres/index.js';
import type { PlanStore, StateRecord, StateRecordSummary, Store } from '../store/index.js';
import { currentActor } from './actor.js';
import {
  assertKeyAvailable,
  identityPlanNotes,
  identityWarnings,
  needsInstanceSecrets,
  resolveInstanceSecrets,
  syncIdentities,
  withNotes,
  type IdentitySyncReport,
} from './identities/index.js';
import { composeGuards, pausedChanges, pauseGuard, type PausedNote } from './kill-switch.js';
import { loadProject, providersFor, withLoadedPlanStore, withLoadedStore, type LoadedProject, type ProjectOptions } from './project.js';

/** What policy said about the plan, with the rules switched off or re-enforced by the project. */
export interface PolicyReport extends PolicyEvaluation {
  /** Number of rules in force. */
  readonly rules: number;
  readonly disabled: readonly DisabledRule[];
  readonly overrides: readonly EnforcementOverride[];
}

export interface PlanReport {
  readonly plan: PlanResult;
  /** Intents an interrupted run left behind (plan only reports them; apply recovers them). */
  readonly pendingIntents: readonly { readonly address: string; readonly action: string }[];
  readonly recoveries: readonly Recovery[];
  /** Statements sent to each target during the refresh. */
  readonly statements: Readonly<Record<string, number>>;
  readonly files: readonly string[];
  readonly policy: PolicyReport;
  /** Active pauses (the kill switch) and the planned changes each of them holds back. */
  readonly paused?: readonly PausedNote[];
}

export interface ApplyReport extends PlanReport {
  readonly runId?: string;
  /** Absent when there was nothing to do or the user declined. */
  readonly apply?: ApplyResult;
  /** False when the plan has errors, policy denied it, or the user declined. */
  readonly approved: boolean;
  /** Secrets, agent credentials and decommissioning, done after the plan's changes. */
  readonly identities?: IdentitySyncReport;
}

export interface ApplyHooks {
  /** Called with the plan when it has changes; resolve `true` to go ahead. */
  confirm(report: PlanReport): Promise<boolean>;
  onEvent?(event: ApplyEvent): void;
  readonly signal?: AbortSignal;
  /** See `ApplyContext.guard`: asked before every mutation, a reason holds the change back. */
  readonly guard?: ApplyContext['guard'];
}

export function priorOf(records: readonly (StateRecordSummary & Partial<Pick<StateRecord, 'spec' | 'attributes'>>)[]): readonly PriorRecord[] {
  // Literals, not spreads: there is one per record, thousands of them. A summary is already one
  // (a plan reads 11,100 of them), and is used as it is.
  return records.map((r): PriorRecord => {
    if (r.attributes === undefined) return r;
    const { address, kind, name, target, dependencies, protect, specHash, providerId } = r;
    return { address, kind, name, target, dependencies, protect, specHash, providerId, attributes: r.attributes, spec: r.spec ?? null };
  });
}

/**
 * The prior state a plan needs: the summary of every record, and the whole record (last applied
 * spec, last observed attributes) only of those no longer declared, which the plan deletes. The
 * specs and attributes of the others are most of the state and a plan never looks at them.
 */
async function priorForPlan(store: Pick<PlanStore, 'listResourceSummaries' | 'getResources'>, desired: readonly DesiredResource[]): Promise<readonly PriorRecord[]> {
  const summaries = await store.listResourceSummaries();
  const declared = new Set<string>(desired.map((d) => d.address));
  const removed = summaries.filter((r) => !declared.has(r.address)).map((r) => r.address);
  if (removed.length === 0) return priorOf(summaries);
  const whole = new Map((await store.getResources(removed)).map((r) => [r.address, r]));
  return priorOf(summaries.map((r) => whole.get(r.address) ?? r));
}

export interface Refreshed {
  readonly plan: PlanResult;
  readonly prior: readonly PriorRecord[];
  readonly recoveries: readonly Recovery[];
  readonly pendingIntents: readonly { readonly address: string; readonly action: string }[];
}

export async function refreshAndPlan(
  store: Pick<PlanStore, 'listResourceSummaries' | 'getResources' | 'unresolvedIntents'>,
  desired: readonly DesiredResource[],
  kinds: ReadonlyMap<string, KindDefinition>,
  sessions: SessionPool,
  /** Applying: the store's records are read whole, and interrupted intents are recovered in `store`. */
  recovery: { readonly runId: string; readonly store: Store } | undefined,
  /** A refresh of the declared resources already under way (see `startRefresh`). */
  started?: StartedRefresh,
): Promise<Refreshed> {
  // Applying (recovery given) also compares and rewrites state records, so it reads them whole.
  let prior = recovery ? priorOf(await recovery.store.listResources()) : await priorForPlan(store, desired);
  const intents = await store.unresolvedIntents();
  const observations = started ? await started.complete(prior) : await refresh({ desired, prior, kinds, sessions });
  let recoveries: readonly Recovery[] = [];
  if (recovery && intents.length > 0) {
    recoveries = await recoverIntents({
      intents,
      observations,
      desired: new Map(desired.map((d) => [d.address as string, d])),
      prior: new Map(prior.map((p) => [p.address, p])),
      recorder: recovery.store,
      runId: recovery.runId,
    });
    prior = priorOf(await recovery.store.listResources());
  }
  const plan = planChanges({ desired, prior, observations, kinds });
  const left = recovery ? recoveries.filter((r) => r.outcome !== 'recovered') : intents;
  return { plan, prior, recoveries, pendingIntents: left.map((i) => ({ address: i.address, action: i.action })) };
}

export function withIntentWarnings(plan: PlanResult, pending: Refreshed['pendingIntents']): PlanResult {
  if (pending.length === 0) return plan;
  const warnings: Diagnostic[] = pending.map((p) => ({
    severity: 'warning',
    code: 'interrupted-run',
    summary: `an earlier run was interrupted while it was going to ${p.action} ${p.address}`,
    hint: 'apply re-observes it and reconciles it; nothing needs to be done by hand',
    address: p.address,
  }));
  return { ...plan, diagnostics: [...plan.diagnostics, ...warnings] };
}

/**
 * The project's effective policy: the built-in pack plus its Policy manifests (each rule located
 * at its own line) and PolicyWaivers. Broken rules, duplicate ids and the like stop the command
 * here, before anything is contacted.
 */
export async function projectPolicies(project: Pick<LoadedProject, 'resources' | 'kinds'>): Promise<PolicySet> {
  const texts = new Map<string, string>();
  // By index: every declared resource is looked at, and a for-of allocates a result for each.
  for (let i = 0; i < project.resources.length; i++) {
    const resource = project.resources[i]!;
    if (resource.kind !== POLICY || texts.has(resource.source.file)) continue;
    // Only used to locate rules; an unreadable file falls back to the document's line.
    const text = await readFile(resolve(resource.source.file), 'utf8').catch(() => undefined);
    if (text !== undefined) texts.set(resource.source.file, text);
  }
  const set = policySetOf({ desired: project.resources, texts });
  const problems = [...set.diagnostics, ...prepareRules(set.rules, project.kinds).diagnostics];
  if (hasErrors(problems)) throw new DiagnosticsError(problems);
  return set;
}

export function judge(set: PolicySet, desired: readonly DesiredResource[], plan: PlanResult): { readonly plan: PlanResult; readonly policy: PolicyReport } {
  const evaluation = evaluatePlanPolicies({ desired, plan, rules: set.rules, waivers: set.waivers, now: new Date() });
  const policy: PolicyReport = { ...evaluation, rules: set.rules.length, disabled: set.disabled, overrides: set.overrides };
  const extra = [...set.diagnostics, ...evaluation.diagnostics];
  return { plan: extra.length === 0 ? plan : { ...plan, diagnostics: [...plan.diagnostics, ...extra] }, policy };
}

/** Every decision goes into the audit log (no record, no apply): a denial as `failed`, the rest as `info`. */
export async function recordDecisions(store: Store, decisions: readonly PolicyDecision[], runId: string, actor: string): Promise<void> {
  for (const d of decisions) {
    await store.audit.append({
      actor,
      runId,
      address: d.address,
      action: 'policy.decision',
      beforeHash: null,
      afterHash: null,
      outcome: d.outcome === 'denied' ? 'failed' : 'info',
      error: d.outcome === 'denied' ? d.message : null,
      detail: {
        rule: d.ruleId,
        title: d.title,
        severity: d.severity,
        enforcement: d.enforcement,
        outcome: d.outcome,
        action: d.action,
        message: d.message,
        remediation: d.remediation,
        compliance: d.compliance,
        location: d.location ?? null,
        ruleSource: d.ruleSource ?? null,
        waivedBy: d.waivedBy ?? null,
      },
    });
  }
}

async function counts(sessions: SessionPool): Promise<Readonly<Record<string, number>>> {
  return Object.fromEntries(await sessions.statementCounts());
}

/** The project, its policies and the resources a run wants (a destroy keeps only what it does not remove). */
interface LoadedRun {
  readonly project: LoadedProject;
  readonly policies: PolicySet;
  readonly desired: readonly DesiredResource[];
}

async function loadRun(options: ProjectOptions, mode: { readonly destroy?: boolean }): Promise<LoadedRun> {
  const project = await loadProject(options);
  const policies = await projectPolicies(project);
  const desired = mode.destroy ? project.resources.filter((r) => project.kinds.get(r.kind)?.role !== 'managed') : project.resources;
  return { project, policies, desired };
}

/** `steward plan`: read-only; nothing is written to the targets or the state. */
export async function runPlan(options: ProjectOptions, mode: { readonly destroy?: boolean } = {}): Promise<PlanReport> {
  let observing: { readonly sessions: SessionPool; readonly started: StartedRefresh } | undefined;
  // The store is read once the targets have the refresh's statements: opening their connections
  // takes round trips this process answers, and reading the store first kept them (and the
  // targets) waiting; after them, the targets work while the store is read.
  let readStore!: () => void;
  const targetsBusy = new Promise<void>((resolve) => (readStore = resolve));
  const load = async () => {
    try {
      const { project, policies, desired } = await loadRun(options, mode);
      const observe = (secrets?: InstanceSecrets): { readonly sessions: SessionPool; readonly started: StartedRefresh } => {
        const sessions = new SessionPool(providersFor(options, secrets), project.resources.filter((r) => project.kinds.get(r.kind)?.role === 'target'));
        return { sessions, started: startRefresh({ desired, kinds: project.kinds, sessions }) };
      };
      // The targets are observed while the store opens and is read: both take a while, the first
      // mostly on the targets. An instance whose password is a {secretRef} waits for the store.
      observing = needsInstanceSecrets(project.resources) ? undefined : observe();
      void (observing?.started.underway() ?? Promise.resolve()).then(readStore);
      return { project, policies, desired, observe };
    } catch (error) {
      readStore();
      throw error;
    }
  };
  try {
    return await withLoadedPlanStore(options, load, async ({ project, policies, desired, observe }, store) => {
      observing ??= observe(await resolveInstanceSecrets(await store.whole(), project.resources, project.dir, options.env));
      const { sessions, started } = observing;
      const refreshed = await refreshAndPlan(store, desired, project.kinds, sessions, undefined, started);
      const judged = judge(policies, desired, withIntentWarnings(refreshed.plan, refreshed.pendingIntents));
      return {
        // Role passwords and agent removals happen after the plan's changes: said here, as keyed hashes.
        plan: withNotes(judged.plan, await identityPlanNotes(store, desired, project.dir, options.env)),
        pendingIntents: refreshed.pendingIntents,
        recoveries: [],
        statements: await counts(sessions),
        files: project.files,
        policy: judged.policy,
        paused: pausedChanges(await store.pauses.active(), desired, judged.plan.changes),
      };
    }, targetsBusy);
  } finally {
    await observing?.started.settled();
    await observing?.sessions.closeAll();
  }
}

/**
 * `steward apply` / `destroy`: one at a time per project (the apply lock), recorded as a run with
 * audit entries for its start, every mutation (intent and outcome) and its end.
 */
export async function runApply(options: ProjectOptions, hooks: ApplyHooks, mode: { readonly destroy?: boolean } = {}): Promise<ApplyReport> {
  const actor = currentActor(options.env);
  const load = async () => {
    const run = await loadRun(options, mode);
    await assertKeyAvailable(run.desired, run.project.dir, options.env);
    return run;
  };
  return withLoadedStore(options, load, async ({ project, policies, desired }, store) => {
    // Before the lock and the run: a Secret without a value stops the command with nothing recorded.
    const secrets = await resolveInstanceSecrets(store, project.resources, project.dir, options.env);
    const lock = await store.acquireApplyLock({ timeoutMs: options.lockTimeoutMs });
    const sessions = new SessionPool(providersFor(options, secrets), project.resources.filter((r) => project.kinds.get(r.kind)?.role === 'target'));
    const command = mode.destroy ? 'destroy' : 'apply';
    const runId = await store.startRun({ command, actor });
    let status: 'succeeded' | 'failed' | 'partial' = 'failed';
    let summary: unknown = { error: 'the run stopped before planning finished' };
    try {
      const refreshed = await refreshAndPlan(store, desired, project.kinds, sessions, { runId, store });
      const { plan, policy } = judge(policies, desired, withIntentWarnings(refreshed.plan, refreshed.pendingIntents));
      const base: PlanReport = {
        plan,
        pendingIntents: refreshed.pendingIntents,
        recoveries: refreshed.recoveries,
        statements: await counts(sessions),
        files: project.files,
        policy,
        paused: pausedChanges(await store.pauses.active(), desired, plan.changes),
      };
      await recordDecisions(store, policy.decisions, runId, actor);
      if (hasErrors(plan.diagnostics)) {
        summary = { planned: plan.summary, error: 'the plan has errors' };
        return { ...base, runId, approved: false };
      }
      // Checked before the confirmation and before anything (state included) is written.
      if (policy.denied.length > 0) {
        summary = { planned: plan.summary, error: 'denied by policy', denied: policy.denied.map((d) => `${d.ruleId} ${d.address}`) };
        return { ...base, runId, approved: false };
      }
      // Adoptions and forgotten records only touch the state; only real changes need a yes.
      const approved = !hasChanges(plan) || (await hooks.confirm(base));
      if (!approved) {
        status = 'failed';
        summary = { planned: plan.summary, error: 'not approved' };
        return { ...base, runId, approved: false };
      }
      const apply = await applyPlan(plan, {
        recorder: store,
        sessions,
        kinds: project.kinds,
        prior: refreshed.prior,
        runId,
        actor,
        parallelism: options.parallelism,
        onEvent: hooks.onEvent,
        signal: hooks.signal,
        // The kill switch first, so a paused change costs no other guard anything (e.g. a rate-limit token).
        guard: composeGuards(pauseGuard(store, desired), hooks.guard),
      });
      const failed = apply.results.filter((r) => r.status !== 'succeeded').length;
      status = failed === 0 ? 'succeeded' : apply.results.some((r) => r.status === 'succeeded') ? 'partial' : 'failed';
      summary = { planned: plan.summary, succeeded: apply.results.length - failed, failed };
      // What lives in Steward itself (secrets, agent credentials) follows the plan's changes; on
      // destroy every agent and secret is decommissioned.
      const kept = mode.destroy ? desired.filter((r) => project.kinds.get(r.kind)?.role === 'target') : desired;
      const identities = await syncIdentities({ store, resources: kept, projectDir: project.dir, env: options.env, runId, actor, results: apply.results, secrets });
      const warnings = identityWarnings(identities);
      const reported = warnings.length === 0 ? base : { ...base, plan: { ...plan, diagnostics: [...plan.diagnostics, ...warnings] } };
      return { ...reported, runId, approved: true, apply, identities };
    } catch (error) {
      summary = { error: error instanceof Error ? error.message : String(error) };
      throw error;
    } finally {
      await sessions.closeAll();
      await store.finishRun(runId, status, summary).catch(() => undefined);
      await lock.release();
    }
  });
}
