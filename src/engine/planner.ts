import {
  buildGraph,
  summarize,
  topologicalOrder,
  type Diagnostic,
  type DesiredResource,
  type FieldChange,
  type KindDefinition,
  type Observation,
  type Plan,
  type PlannedChange,
  type ResourceAddress,
} from '../core/index.js';
import { creationChanges, deletionChanges, diffAttributes } from './diff.js';
import type { PriorRecord } from './prior.js';

export interface PlanInput {
  readonly desired: readonly DesiredResource[];
  readonly prior: readonly PriorRecord[];
  /** Live observations by address; a managed resource without one could not be observed. */
  readonly observations: ReadonlyMap<string, Observation>;
  readonly kinds: ReadonlyMap<string, KindDefinition>;
}

export interface PlanResult extends Plan {
  /** State records whose resource is gone both from the manifests and from the target. */
  readonly forget: readonly ResourceAddress[];
}

const NO_CHANGES: readonly FieldChange[] = Object.freeze([]);

/**
 * One declared resource's change. Each change is written as one literal rather than spread from a
 * shared base: a plan builds one per declared resource, and copying properties costs several
 * times more at ten thousand of them.
 */
function planDesired(resource: DesiredResource, kind: KindDefinition, prior: PriorRecord | undefined, observation: Observation): PlannedChange {
  const desiredAttrs = kind.desiredAttributes(resource.name, resource.spec);
  const { address, name } = resource;
  const target = resource.target!;
  if (!observation.exists) {
    const reason = prior ? 'it was deleted outside Steward' : 'it does not exist yet';
    return { address, kind: resource.kind, name, target, dependsOn: [], desired: resource, action: 'create', changes: creationChanges(desiredAttrs), reason, adopt: false };
  }
  const changes = diffAttributes(desiredAttrs, observation.attributes, kind.fields);
  const adopt = prior === undefined;
  const observed = observation.attributes;
  if (changes.length === 0) {
    const reason = adopt ? 'it exists as declared and will be adopted' : 'it is up to date';
    const providerId = observation.providerId;
    return { address, kind: resource.kind, name, target, dependsOn: [], desired: resource, observed, providerId, action: 'no-op', changes: NO_CHANGES, reason, adopt };
  }
  const forcing = changes.filter((c) => c.requiresReplace).map((c) => c.field);
  if (forcing.length > 0) {
    const reason = `${forcing.join(', ')} cannot change in place`;
    return { address, kind: resource.kind, name, target, dependsOn: [], desired: resource, observed, action: 'replace', changes, reason, adopt };
  }
  const reason = prior !== undefined ? 'it differs from the manifest' : 'it exists with other settings and will be adopted';
  return { address, kind: resource.kind, name, target, dependsOn: [], desired: resource, observed, action: 'update', changes, reason, adopt };
}

/**
 * Pure planning: (desired resources, prior state, live observations) → ordered changes.
 * Creates and updates come after what they depend on; a delete comes after every change to the
 * resources that depended on it (so a role is dropped only once nothing it owned still needs it).
 */
export function planChanges(input: PlanInput): PlanResult {
  const diagnostics: Diagnostic[] = [];
  const changes: PlannedChange[] = [];
  const forget: ResourceAddress[] = [];
  // Index loops, not a map of pairs: eleven thousand records would each make a pair, read back
  // through its iterator (the command's V8 does not inline).
  const priorByAddress = new Map<string, PriorRecord>();
  for (let i = 0; i < input.prior.length; i++) priorByAddress.set(input.prior[i]!.address, input.prior[i]!);
  const desiredAddresses = new Set<string>();
  for (let i = 0; i < input.desired.length; i++) desiredAddresses.add(input.desired[i]!.address);

  for (let i = 0; i < input.desired.length; i++) {
    const resource = input.desired[i]!;
    const kind = input.kinds.get(resource.kind);
    if (!kind || kind.role !== 'managed') continue;
    const observation = input.observations.get(resource.address);
    if (!observation) {
      diagnostics.push({
        severity: 'error',
        code: 'unresolved-reference',
        summary: `${resource.address} could not be observed`,
        address: resource.address,
        location: resource.source,
      });
      continue;
    }
    changes.push(planDesired(resource, kind, priorByAddress.get(resource.address), observation));
  }

  for (let i = 0; i < input.prior.length; i++) {
    const record = input.prior[i]!;
    if (desiredAddresses.has(record.address)) continue;
    const address = record.address as ResourceAddress;
    const observation = input.observations.get(record.address);
    if (!observation) {
      diagnostics.push({
        severity: 'error',
        code: 'orphaned-resource',
        summary: `${address} was removed from the manifests, but its target ${record.target ?? '(none)'} is no longer declared, so it cannot be deleted`,
        hint: `declare ${record.target ?? 'its target'} again so Steward can delete it, or stop managing it with \`steward state rm ${address}\``,
        address,
      });
      continue;
    }
    if (!observation.exists) {
      forget.push(address);
      continue;
    }
    if (record.protect) {
      diagnostics.push({
        severity: 'error',
        code: 'protected-resource',
        summary: `${address} is protected (protect: true) and cannot be deleted`,
        detail: 'It was removed from the manifests, which would delete it.',
        hint: 'restore its manifest; to delete it, first apply it with protect: false, then remove it',
        address,
      });
      continue;
    }
    const verdict = input.kinds.get(record.kind)?.describeDeletion?.(record.name, record.spec ?? null, observation.attributes);
    if (verdict && !verdict.ok) {
      diagnostics.push({ severity: 'error', code: 'unsafe-delete', summary: `${address} cannot be deleted: ${verdict.problem}`, hint: verdict.hint, address });
      continue;
    }
    changes.push({
      address,
      kind: record.kind,
      name: record.name,
      target: (record.target ?? '') as ResourceAddress,
      action: 'delete',
      observed: observation.attributes,
      priorSpec: record.spec ?? null,
      changes: deletionChanges(observation.attributes),
      reason: verdict?.note ? `it was removed from the manifests; ${verdict.note}` : 'it was removed from the manifests',
      dependsOn: [],
      adopt: false,
    });
  }

  const ordered = orderChanges(changes, input.prior);
  return { changes: ordered, diagnostics, summary: summarize(ordered), forget };
}

/**
 * Creates, updates and replaces after the changes they depend on; deletes after every change to
 * what depended on them. Only actionable changes are ordered: a no-op needs no step, so it is
 * looked through — a change that depends on a no-op waits for whatever that no-op depends on in
 * turn. No-ops follow the ordered changes, in the order they were declared. Ordering only what
 * changes keeps a plan of thousands of unchanged resources from building a graph of all of them.
 */
function orderChanges(changes: readonly PlannedChange[], prior: readonly PriorRecord[]): readonly PlannedChange[] {
  if (changes.every((c) => c.action === 'no-op')) return changes;
  const actionable = new Map<string, PlannedChange>();
  const noops = new Map<string, PlannedChange>();
  for (const change of changes) (change.action === 'no-op' ? noops : actionable).set(change.address, change);

  // The actionable changes `dependsOn` names, looking through no-ops to what they depend on in turn
  // (memoised per no-op; `visiting` stops at a cycle).
  const through = new Map<string, readonly ResourceAddress[]>();
  const actionableDeps = (dependsOn: readonly ResourceAddress[], visiting: Set<string>): ResourceAddress[] => {
    const found: ResourceAddress[] = [];
    for (const dep of dependsOn) {
      const change = actionable.get(dep);
      if (change) {
        if (change.action !== 'delete') found.push(dep);
        continue;
      }
      const noop = noops.get(dep);
      if (!noop || visiting.has(dep)) continue;
      let behind = through.get(dep);
      if (behind === undefined) {
        visiting.add(dep);
        behind = actionableDeps(noop.desired?.dependsOn ?? [], visiting);
        visiting.delete(dep);
        through.set(dep, behind);
      }
      found.push(...behind);
    }
    return found;
  };

  let priorDependants: Map<string, string[]> | undefined;
  const dependantsInPrior = (address: string): readonly string[] => {
    if (!priorDependants) {
      priorDependants = new Map();
      for (const record of prior) {
        // Pushed, not spread into a new array: every record depends on its instance, so copying the
        // list per record would be quadratic in the number of resources.
        for (const dep of record.dependencies) {
          const list = priorDependants.get(dep);
          if (list) list.push(record.address);
          else priorDependants.set(dep, [record.address]);
        }
      }
    }
    return priorDependants.get(address) ?? [];
  };

  const executionDeps = (change: PlannedChange): ResourceAddress[] => {
    if (change.action === 'delete') return dependantsInPrior(change.address).filter((a) => actionable.has(a)) as ResourceAddress[];
    return actionableDeps(change.desired?.dependsOn ?? [], new Set());
  };
  // Every change was built by this planner with an empty `dependsOn` of its own, which is filled
  // here rather than copying the change: an apply from scratch makes every resource a change.
  for (const change of actionable.values()) (change.dependsOn as ResourceAddress[]).push(...executionDeps(change));
  const graph = buildGraph(
    [...actionable.keys()] as ResourceAddress[],
    (a) => actionable.get(a)?.dependsOn ?? [],
  );
  return [...topologicalOrder(graph).map((a) => actionable.get(a)!), ...noops.values()];
}
