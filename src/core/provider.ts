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
  /**
   * Optional: resolves once every statement asked of the session so far is on its way to the
   * target (none waits for a connection to open). Only a hint for scheduling other work.
   */
  sent?(): Promise<void>;
  /** Optional: carries out many creates and updates together (see {@link BatchCapability}). */
  readonly batch?: BatchCapability;
  close(): Promise<void>;
}

/** One change of a batch: what `create` or `update` would be called with. */
export type BatchChange =
  | { readonly action: 'create'; readonly resource: DesiredResource }
  | { readonly action: 'update'; readonly resource: DesiredResource; readonly changes: readonly FieldChange[] };

/**
 * A session's ability to carry out many changes of one kind at once, with the same effect and the
 * same locking as calling `create` / `update` for each, in far fewer round trips.
 *
 * Contract: `apply` is all or nothing per unit of atomicity of the target (for PostgreSQL, one
 * transaction per change and database). When it throws, some units may have committed; the caller then
 * carries the changes out one by one (creates and updates are idempotent), so exactly the change
 * that fails is reported as failed. Verification stays with the caller (one `observe` for all).
 */
export interface BatchCapability {
  /** Whether creates and updates of `kind` can go in a batch. */
  accepts(kind: string): boolean;
  /**
   * Where a change of `kind` with this spec works, if the provider can tell: changes of equal
   * locality touch the same objects (for a PostgreSQL grant, its schema), and nearby localities
   * sort next to each other. A batch is then made of nearby changes, and verifying it reads fewer
   * objects. Only the order in which ready changes are batched depends on it.
   */
  locality?(kind: string, spec: unknown): string;
  apply(kind: string, changes: readonly BatchChange[]): Promise<void>;
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

/** Something on a target may have changed: the agent re-observes. */
export interface WatchEvent {
  /** `event`: the target said so (e.g. an event trigger); `fingerprint`/`poll`: a cheap query saw a difference; `reconnect`: events may have been missed. */
  readonly source: 'event' | 'fingerprint' | 'poll' | 'reconnect';
  /** What changed, as far as the target said (e.g. `GRANT table public.t`); never secret. */
  readonly detail: string;
  /** Where it was seen (e.g. the database name). */
  readonly scope: string;
}

/** How one part of a target is being watched, for logs and status. */
export interface WatchChannel {
  /** E.g. `database app` or `roles`. */
  readonly scope: string;
  readonly mode: 'events' | 'polling';
  /** Why it fell back to polling, when it did. */
  readonly reason?: string;
}

export interface WatchOptions {
  /** The managed resources on this target, so the provider knows what to watch (e.g. which databases). */
  readonly resources: readonly DesiredResource[];
  /** How often cheap fingerprint queries run. */
  readonly intervalMs: number;
  readonly onChange: (event: WatchEvent) => void;
  /** A channel's mode changed or it had a problem; never fatal. */
  readonly onStatus: (channels: readonly WatchChannel[], problem?: string) => void;
}

export interface WatchHandle {
  readonly channels: () => readonly WatchChannel[];
  /** Catalog queries sent by the watch so far (for measuring the cost at idle). */
  readonly queryCount: () => number;
  close(): Promise<void>;
}

/** Opens sessions for the targets of one kind (e.g. every `PostgresInstance`). */
export interface Provider {
  readonly name: string;
  /** The kind whose resources are targets for this provider, e.g. `PostgresInstance`. */
  readonly targetKind: string;
  /** The managed kinds this provider carries out, e.g. `PostgresRole`. */
  readonly kinds: readonly string[];
  connect(target: DesiredResource): Promise<ProviderSession>;
  /**
   * Optional: watches a target and calls back when something may have changed, cheaper than
   * observing everything. Never throws for lack of privileges: it falls back and says so.
   */
  readonly watch?: (target: DesiredResource, options: WatchOptions) => Promise<WatchHandle>;
}
