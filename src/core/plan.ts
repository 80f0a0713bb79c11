import type { ResourceAddress } from './address.js';
import type { Diagnostic } from './diagnostics.js';
import type { Attributes, DesiredResource, JsonValue } from './resource.js';

export type ChangeAction = 'create' | 'update' | 'replace' | 'delete' | 'no-op';

export interface FieldChange {
  readonly field: string;
  /** `undefined` when the resource does not exist yet. */
  readonly before: JsonValue | undefined;
  /** `undefined` when the resource is being deleted. */
  readonly after: JsonValue | undefined;
  readonly requiresReplace: boolean;
}

export interface PlannedChange {
  readonly address: ResourceAddress;
  readonly kind: string;
  readonly name: string;
  readonly action: ChangeAction;
  readonly changes: readonly FieldChange[];
  /** Why this action was chosen, in words a user reads in the plan. */
  readonly reason: string;
  /** The target (connection) the change is carried out through. */
  readonly target: ResourceAddress;
  /** Addresses that must be applied before this one (for deletes: reversed). */
  readonly dependsOn: readonly ResourceAddress[];
  /** What the refresh found live, when the resource exists. */
  readonly observed?: Attributes;
  /** The live resource's identity on its target, when it exists. */
  readonly providerId?: string;
  /** For deletes: the spec the resource was last applied with (null if unknown). */
  readonly priorSpec?: JsonValue | null;
  /** The declaration, for create/update/replace/no-op. Absent for deletes. */
  readonly desired?: DesiredResource;
  /** The resource exists live but Steward has no record of it: applying takes it over. */
  readonly adopt: boolean;
}

export interface PlanSummary {
  readonly create: number;
  readonly update: number;
  readonly replace: number;
  readonly delete: number;
  readonly noop: number;
}

export interface Plan {
  /**
   * Every resource considered: first the changes in apply order (creates/updates in dependency
   * order, deletes in reverse), then the no-ops in the order they were declared.
   */
  readonly changes: readonly PlannedChange[];
  readonly diagnostics: readonly Diagnostic[];
  readonly summary: PlanSummary;
}

export function hasChanges(plan: Plan): boolean {
  return plan.changes.some((c) => c.action !== 'no-op');
}

export function summarize(changes: readonly PlannedChange[]): PlanSummary {
  const counts: Record<ChangeAction, number> = { create: 0, update: 0, replace: 0, delete: 0, 'no-op': 0 };
  // By index: a plan counts eleven thousand changes, and a for-of allocates a result for each.
  for (let i = 0; i < changes.length; i++) counts[changes[i]!.action] += 1;
  return { create: counts.create, update: counts.update, replace: counts.replace, delete: counts.delete, noop: counts['no-op'] };
}
