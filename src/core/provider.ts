import type { DesiredResource, ObservedResource } from './resource.js';
import type { FieldChange } from './plan.js';

/**
 * A live connection to one target (e.g. one PostgreSQL instance), through which the resources
 * managed by that target are observed and changed.
 *
 * Contract, checked by the shared conformance suite:
 * - `observe` never modifies anything and reads a whole kind with a fixed number of queries,
 *   whatever the number of names.
 * - `create` of a resource that already exists is a no-op (it does not fail).
 * - `delete` of a resource that does not exist succeeds.
 * - after `create` or `update`, `observe` returns exactly `KindDefinition.desiredAttributes`.
 * - if `delete` fails the resource is assumed to still exist.
 */
export interface ProviderSession {
  /** Returns each requested resource that exists, by name; absent names do not exist. */
  observe(kind: string, requests: readonly ObserveRequest[]): Promise<ReadonlyMap<string, ObservedResource>>;
  create(resource: DesiredResource): Promise<void>;
  update(resource: DesiredResource, changes: readonly FieldChange[]): Promise<void>;
  /** `spec` is what the resource was last declared as (from the state when it left the manifests). */
  delete(kind: string, name: string, spec: unknown): Promise<void>;
  /** Number of statements sent to the target so far, for measuring set-based observation. */
  readonly statementCount: number;
  close(): Promise<void>;
}

/**
 * One resource to observe. `spec` is its declaration — or, for a resource that left the manifests,
 * the spec it was last applied with — because some kinds are identified by more than a name
 * (a grant by its database, grantee and objects); `null` when unknown.
 */
export interface ObserveRequest {
  readonly name: string;
  readonly spec: unknown;
}

/** Opens sessions for the targets of one kind (e.g. every `PostgresInstance`). */
export interface Provider {
  readonly name: string;
  /** The kind whose resources are targets for this provider, e.g. `PostgresInstance`. */
  readonly targetKind: string;
  /** The managed kinds this provider carries out, e.g. `PostgresRole`. */
  readonly kinds: readonly string[];
  connect(target: DesiredResource): Promise<ProviderSession>;
}
