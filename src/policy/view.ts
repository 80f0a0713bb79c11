import { API_VERSION, type ChangeAction, type DesiredResource, type JsonValue, type PlannedChange } from '../core/index.js';

/**
 * What rules see. Kept in one place because it is a contract with every rule a user writes
 * (docs/policies.md): fields may be added, never renamed or removed.
 */

/** `resource` for a Steward resource: the manifest as validated, defaults applied, lifecycle fields lifted out. */
export interface ResourceView {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly annotations: Readonly<Record<string, string>>;
  };
  readonly spec: unknown;
}

/** `change` for plan-time rules: one planned change of one resource. */
export interface ChangeView {
  readonly action: Exclude<ChangeAction, 'no-op'>;
  readonly address: string;
  readonly kind: string;
  readonly name: string;
  /** The live resource exists but Steward has no record of it yet. */
  readonly adopt: boolean;
  /** Names of the attributes that change. */
  readonly fields: readonly string[];
  /** Live attributes before the change; null when creating. */
  readonly before: Readonly<Record<string, JsonValue>> | null;
  /** Attributes once applied; null when deleting. */
  readonly after: Readonly<Record<string, JsonValue>> | null;
}

export function resourceView(resource: DesiredResource): ResourceView {
  return {
    apiVersion: API_VERSION,
    kind: resource.kind,
    metadata: { name: resource.name, labels: resource.metadata.labels, annotations: resource.metadata.annotations },
    spec: resource.spec,
  };
}

/**
 * `resource` for a change that has no declaration (a delete): what was last observed, as `spec`,
 * with empty labels and annotations since those live only in manifests.
 */
export function observedView(change: PlannedChange): ResourceView {
  return {
    apiVersion: API_VERSION,
    kind: change.kind,
    metadata: { name: change.name, labels: {}, annotations: {} },
    spec: change.observed ?? {},
  };
}

export function changeView(change: PlannedChange & { readonly action: Exclude<ChangeAction, 'no-op'> }): ChangeView {
  const before = change.action === 'create' ? null : (change.observed ?? null);
  let after: Record<string, JsonValue> | null = null;
  if (change.action !== 'delete') {
    after = { ...(change.observed ?? {}) };
    for (const field of change.changes) if (field.after !== undefined) after[field.field] = field.after;
  }
  return {
    action: change.action,
    address: change.address,
    kind: change.kind,
    name: change.name,
    adopt: change.adopt,
    fields: change.changes.map((f) => f.field),
    before,
    after,
  };
}
