import type { ChangeAction, DesiredResource, Diagnostic, KindDefinition, Plan, PlannedChange } from '../core/index.js';
import { KINDS } from '../kinds/index.js';
import type { DecisionOutcome, PolicyDecision, PolicyEvaluation } from './decision.js';
import { evaluateRules } from './evaluate.js';
import { prepareRules, type PreparedRule } from './prepare.js';
import type { Finding, PolicyResource, Rule } from './rule.js';
import { changeView, observedView, resourceView, type ChangeView } from './view.js';
import { covers, isExpired, type Waiver } from './waivers.js';

export interface PlanPolicyInput {
  /** The validated resources of the project (for targets, which every plan uses, and locations). */
  readonly desired: readonly DesiredResource[];
  readonly plan: Plan;
  readonly rules: readonly Rule[];
  readonly waivers: readonly Waiver[];
  /** The time waivers expire against and rules see as `now`. */
  readonly now: Date;
  readonly kinds?: ReadonlyMap<string, KindDefinition>;
}

type Planned = PlannedChange & { readonly action: Exclude<ChangeAction, 'no-op'> };

interface Subject {
  readonly resource: PolicyResource;
  readonly action: PolicyDecision['action'];
  readonly change?: ChangeView;
}

const OUTCOME: Readonly<Record<Rule['enforcement'], DecisionOutcome>> = { deny: 'denied', warn: 'warned', audit: 'audited' };

function subjectOf(resource: DesiredResource, action: Subject['action'], change?: ChangeView): Subject {
  const view = resourceView(resource) as unknown as Readonly<Record<string, unknown>>;
  return { resource: { type: resource.kind, name: resource.name, resource: view, location: resource.source }, action, ...(change ? { change } : {}) };
}

/**
 * What policy says about a plan. Pure.
 * - Rules that do not read `change` are evaluated on the desired state of every resource being
 *   created, updated or replaced, and of every target (instance) the plan goes through.
 * - Rules that read `change` are evaluated once per planned change, deletes included (their
 *   `resource` is then the last observed state).
 * - A violation covered by a live waiver is `waived`; an expired waiver covers nothing and is
 *   reported as a warning.
 * - A rule that is broken or fails at runtime is an error diagnostic, never a pass.
 */
export function evaluatePlanPolicies(input: PlanPolicyInput): PolicyEvaluation {
  const kinds = input.kinds ?? KINDS;
  const prepared = prepareRules(input.rules, kinds);
  const diagnostics: Diagnostic[] = [...prepared.diagnostics];
  const bindings = { now: input.now };

  const planned = input.plan.changes.filter((c): c is Planned => c.action !== 'no-op');
  const stateSubjects: Subject[] = [];
  const changeSubjects: Subject[] = [];
  for (const change of planned) {
    const view = changeView(change);
    if (change.desired !== undefined) {
      stateSubjects.push(subjectOf(change.desired, change.action));
      changeSubjects.push(subjectOf(change.desired, change.action, view));
    } else {
      const resource = observedView(change) as unknown as Readonly<Record<string, unknown>>;
      changeSubjects.push({ resource: { type: change.kind, name: change.name, resource }, action: change.action, change: view });
    }
  }
  // By index: every declared resource is looked at, and a for-of allocates a result for each.
  for (let i = 0; i < input.desired.length; i++) {
    const resource = input.desired[i]!;
    if (kinds.get(resource.kind)?.role === 'target') stateSubjects.push(subjectOf(resource, 'use'));
  }

  const stateRules = prepared.rules.filter((r) => !r.usesChange);
  const changeRules = prepared.rules.filter((r) => r.usesChange);
  const found: { readonly finding: Finding; readonly subject: Subject }[] = [];
  const run = (rules: readonly PreparedRule[], subjects: readonly Subject[]): void => {
    for (const subject of subjects) {
      const extra = subject.change === undefined ? bindings : { ...bindings, change: subject.change };
      const result = evaluateRules(rules, [subject.resource], () => extra);
      diagnostics.push(...result.diagnostics);
      for (const finding of result.findings) found.push({ finding, subject });
    }
  };
  run(stateRules, stateSubjects);
  run(changeRules, changeSubjects);

  const live = input.waivers.filter((w) => !isExpired(w, input.now));
  const expiredWaivers = input.waivers.filter((w) => isExpired(w, input.now));
  const ruleById = new Map(input.rules.map((r) => [r.id, r]));
  const decisions = found.map(({ finding, subject }): PolicyDecision => {
    const address = `${subject.resource.type}/${subject.resource.name}`;
    const waiver = live.find((w) => covers(w, finding.ruleId, address));
    const ruleSource = ruleById.get(finding.ruleId)?.source;
    return {
      ruleId: finding.ruleId,
      title: finding.title,
      severity: finding.severity,
      enforcement: finding.enforcement,
      outcome: waiver ? 'waived' : OUTCOME[finding.enforcement],
      message: finding.message,
      remediation: finding.remediation,
      compliance: finding.compliance,
      address,
      action: subject.action,
      ...(subject.resource.location ? { location: subject.resource.location } : {}),
      ...(ruleSource ? { ruleSource } : {}),
      ...(waiver ? { waivedBy: { address: waiver.address, owner: waiver.owner, reason: waiver.reason, expires: waiver.expires } } : {}),
    };
  });

  for (const waiver of expiredWaivers) {
    const blocked = found.some(({ finding, subject }) => covers(waiver, finding.ruleId, `${subject.resource.type}/${subject.resource.name}`));
    diagnostics.push({
      severity: 'warning',
      code: 'invalid-value',
      summary: `${waiver.address} expired on ${waiver.expires} and no longer exempts anything from ${waiver.rule}${blocked ? ' (it would have covered a violation in this plan)' : ''}`,
      hint: `fix the resources it covered, or agree a new expiry with its owner (${waiver.owner}) and update expires`,
      location: waiver.source,
      address: waiver.address,
    });
  }
  const known = new Set(input.rules.map((r) => r.id));
  for (const waiver of input.waivers) {
    if (known.has(waiver.rule)) continue;
    diagnostics.push({
      severity: 'warning',
      code: 'dangling-reference',
      summary: `${waiver.address} waives ${waiver.rule}, which is not an active rule (unknown or disabled)`,
      hint: 'check the id with `steward policy list`, or delete the waiver',
      location: waiver.source,
      address: waiver.address,
    });
  }
  return { decisions, denied: decisions.filter((d) => d.outcome === 'denied'), diagnostics, expiredWaivers };
}
