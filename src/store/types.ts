import type { Attributes, JsonValue } from '../core/resource.js';
import type { PauseStore } from './pause-types.js';
import type { ChangeRequestRepository } from './change-request-types.js';
import type { LeaseRepository } from './lease-types.js';
import type { IdentityRepository, SecretRepository } from './secret-types.js';

/** Who holds a lock: enough for a person to find the process and decide to wait or stop it. */
export interface HolderInfo {
  readonly pid: number;
  /** The steward command, e.g. `apply`. */
  readonly command: string;
  readonly user: string;
  readonly host: string;
  /** ISO 8601. */
  readonly since: string;
}

export interface OpenStoreOptions {
  /** The project directory; the embedded store lives in `<projectDir>/.steward/state`. */
  readonly projectDir: string;
  /** A PostgreSQL URL (the CLI passes `STEWARD_DATABASE_URL`); absent means the embedded store. */
  readonly databaseUrl?: string;
  /** How long to wait for another process holding the embedded store; default 0 = fail at once. */
  readonly lockTimeoutMs?: number;
  /** The steward command opening the store, e.g. `apply`; shown to whoever finds it locked. */
  readonly command: string;
  /** Stops waiting for the embedded store's lock (the open then fails with the signal's reason). */
  readonly signal?: AbortSignal;
}

/** The current record of one managed resource. */
export interface StateRecord {
  readonly address: string;
  readonly kind: string;
  readonly name: string;
  /** Address of the target the resource is managed through. */
  readonly target: string | null;
  readonly specHash: string;
  /** The declared spec last applied (references only, never secret values); null if unknown. */
  readonly spec: JsonValue | null;
  /** The observed attributes after the last change; never secrets (callers must not pass them). */
  readonly attributes: Attributes;
  readonly providerId: string | null;
  readonly dependencies: readonly string[];
  readonly protect: boolean;
  /** 1 for the first record of an address; +1 for every change, never reused after a delete. */
  readonly version: number;
  /** ISO 8601. */
  readonly createdAt: string;
  /** ISO 8601. */
  readonly updatedAt: string;
}

export type StateRecordInput = Omit<StateRecord, 'version' | 'createdAt' | 'updatedAt'>;

/**
 * What a plan needs of a resource it still declares: a state record without its spec and
 * attributes (the bulk of it), its version and its times.
 */
export type StateRecordSummary = Pick<StateRecord, 'address' | 'kind' | 'name' | 'target' | 'specHash' | 'providerId' | 'dependencies' | 'protect'>;

export type HistoryAction = 'create' | 'update' | 'replace' | 'delete' | 'adopt' | 'refresh' | 'recover';

export interface ResourceChange {
  readonly runId: string;
  readonly action: HistoryAction;
}

/** One record to write, and the change it records (see `Store.putResources`). */
export interface ResourceWrite {
  readonly record: StateRecordInput;
  readonly change: ResourceChange;
}

/** One version of a resource; a removal is an entry with `specHash` and `attributes` null. */
export interface HistoryEntry {
  readonly address: string;
  readonly version: number;
  readonly runId: string;
  readonly action: HistoryAction;
  readonly specHash: string | null;
  readonly attributes: Attributes | null;
  /** ISO 8601. */
  readonly recordedAt: string;
}

export type RunStatus = 'succeeded' | 'failed' | 'partial';

export interface RunInput {
  readonly command: string;
  readonly actor: string;
}

export interface IntentInput {
  readonly runId: string;
  readonly actor: string;
  readonly address: string;
  readonly action: string;
  readonly beforeHash: string | null;
  readonly afterHash: string | null;
  readonly detail?: unknown;
}

/** A mutation announced before it is made; pending until resolved. */
export interface Intent {
  readonly id: string;
  readonly runId: string;
  readonly actor: string;
  readonly address: string;
  readonly action: string;
  readonly beforeHash: string | null;
  readonly afterHash: string | null;
  /** What the caller attached when recording it (as JSON), or null. */
  readonly detail: JsonValue | null;
  /** ISO 8601. */
  readonly createdAt: string;
  /** The group it was recorded in with others of its batch, if any: the store resolves it through its group. */
  readonly group?: string;
}

export interface IntentOutcome {
  readonly status: 'succeeded' | 'failed' | 'recovered';
  /** The hash actually reached; absent keeps the intent's `afterHash`. */
  readonly afterHash?: string | null;
  readonly error?: string;
  readonly detail?: unknown;
}

/** One intent to resolve in a batch, with the state record its success wrote (see `Store.completeIntents`). */
export interface IntentCompletion {
  readonly intent: Intent;
  readonly outcome: IntentOutcome;
  readonly put?: ResourceWrite;
}

export type AuditOutcome = 'pending' | 'succeeded' | 'failed' | 'recovered' | 'info';

export interface AuditInput {
  readonly actor: string;
  readonly runId: string | null;
  readonly address: string | null;
  readonly action: string;
  readonly beforeHash: string | null;
  readonly afterHash: string | null;
  readonly outcome: AuditOutcome;
  readonly error: string | null;
  /** Any JSON; stored and hashed as its canonical JSON. Absent is recorded as null. */
  readonly detail?: unknown;
}

export interface AuditEntry extends AuditInput {
  readonly seq: number;
  /** ISO 8601, part of the hashed content. */
  readonly time: string;
  readonly detail: JsonValue | null;
  readonly prevHash: string;
  readonly hash: string;
}

export interface AuditFilter {
  readonly address?: string;
  readonly runId?: string;
  /** At most this many entries, from the start (or from `afterSeq`). */
  readonly limit?: number;
  readonly afterSeq?: number;
  /** Only the newest this many matching entries (still in sequence order); not with `afterSeq`. */
  readonly last?: number;
}

export type AuditProblemKind = 'edited' | 'missing' | 'reordered' | 'truncated';

export interface AuditProblem {
  readonly seq: number;
  readonly problem: AuditProblemKind;
  readonly message: string;
}

export interface AuditVerification {
  readonly ok: boolean;
  /** Entries read and checked. */
  readonly entries: number;
  readonly problems: readonly AuditProblem[];
}

export interface AuditLog {
  /** Appends one entry; throws `audit-write-failed` if it could not be written. */
  append(entry: AuditInput): Promise<AuditEntry>;
  /** Oldest first. */
  list(filter?: AuditFilter): Promise<readonly AuditEntry[]>;
  verify(): Promise<AuditVerification>;
  /**
   * Calls `write` once per entry, oldest first, with the entry's canonical JSON followed by `\n`;
   * returns the number of entries. Each line verifies on its own: its `hash` is the SHA-256 of
   * the canonical JSON of the line without `hash`.
   */
  exportJsonl(write: (line: string) => void | Promise<void>): Promise<number>;
}

/**
 * What `steward plan` reads of the store. From the embedded store it may come from the snapshot
 * kept beside it (see `plan-snapshot.ts`), without starting the database.
 */
export interface PlanStore {
  /** The reads below come from the embedded store's plan snapshot. */
  readonly fromSnapshot: boolean;
  listResourceSummaries(): Promise<readonly StateRecordSummary[]>;
  getResources(addresses: readonly string[]): Promise<readonly StateRecord[]>;
  unresolvedIntents(): Promise<readonly Intent[]>;
  readonly identities: Pick<IdentityRepository, 'list'>;
  readonly secrets: Pick<SecretRepository, 'list' | 'appliedHash' | 'versions'>;
  readonly pauses: Pick<PauseStore, 'active'>;
  /** The store itself, for anything else: opened on first use when the reads above come from a snapshot. */
  whole(): Promise<Store>;
  close(): Promise<void>;
}

export interface ApplyLockHandle {
  /** Idempotent. */
  release(): Promise<void>;
}

export interface Store {
  readonly backend: 'embedded' | 'postgres';
  /** The data directory, or the database URL with its password masked. */
  readonly location: string;

  /** Sorted by address. */
  listResources(): Promise<readonly StateRecord[]>;
  /** Every record without its spec and attributes, sorted by address. */
  listResourceSummaries(): Promise<readonly StateRecordSummary[]>;
  getResource(address: string): Promise<StateRecord | undefined>;
  /** The records of these addresses that exist, sorted by address. */
  getResources(addresses: readonly string[]): Promise<readonly StateRecord[]>;
  /** Upserts the record, bumps its version and appends a history entry, in one transaction. */
  putResource(record: StateRecordInput, change: ResourceChange): Promise<StateRecord>;
  /**
   * Several records, each written as `putResource` writes one (its next version, a history
   * entry), all in one transaction or none; the addresses must be distinct.
   */
  putResources(items: readonly ResourceWrite[]): Promise<void>;
  /**
   * Deletes the record and appends a history entry with null attributes, in one transaction.
   * Removing an address that has no record does nothing (so recovery can repeat it).
   */
  removeResource(address: string, change: ResourceChange): Promise<void>;
  /** Newest first; all addresses when `address` is absent. */
  history(address?: string, limit?: number): Promise<readonly HistoryEntry[]>;

  /** Records a running run (and an audit entry); returns its id (a UUID). */
  startRun(run: RunInput): Promise<string>;
  finishRun(runId: string, status: RunStatus, summary: unknown): Promise<void>;

  /**
   * Records a pending intent and its audit entry in one transaction, before a mutation. Throws
   * `audit-write-failed` if either could not be written; then nothing is recorded and the caller
   * must not mutate.
   */
  recordIntent(intent: IntentInput): Promise<Intent>;
  /** Marks the intent resolved and appends the outcome's audit entry, in one transaction. */
  resolveIntent(intent: Intent, outcome: IntentOutcome): Promise<void>;
  /** `recordIntent` for several mutations at once: every intent and audit entry in one transaction, or none. */
  recordIntents(intents: readonly IntentInput[]): Promise<readonly Intent[]>;
  /**
   * Resolves several intents in one transaction: writes each `put` record (as `putResource`
   * would), marks the intents resolved and appends their outcomes' audit entries. All or nothing;
   * throws `not-found` after committing the rest if an intent was not pending.
   */
  completeIntents(items: readonly IntentCompletion[]): Promise<void>;
  /** Intents never resolved (e.g. the process was killed mid-mutation), oldest first. */
  unresolvedIntents(): Promise<readonly Intent[]>;

  readonly audit: AuditLog;
  /** The kill switch: paused scopes, checked before every mutation (issue 6). */
  readonly pauses: PauseStore;
  /** Change requests waiting for, or decided by, approvers (issue 6). */
  readonly changeRequests: ChangeRequestRepository;
  /** Per-resource leases of agent replicas sharing this store. */
  readonly leases: LeaseRepository;
  /** Encrypted secrets and their versions (sealed by the caller; see src/secrets). */
  readonly secrets: SecretRepository;
  /** Agents with provisioned credentials, and their rotation state. */
  readonly identities: IdentityRepository;

  /** One apply at a time per project; throws `lock-timeout` naming the holder. */
  acquireApplyLock(options: { readonly timeoutMs: number }): Promise<ApplyLockHandle>;
  /** Releases held apply locks, closes the database and releases the store lock. Idempotent. */
  close(): Promise<void>;
}
