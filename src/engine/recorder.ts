import type { Attributes, JsonValue } from '../core/index.js';

/** A pending mutation, recorded before the provider is called. */
export interface RecordedIntent {
  readonly id: string;
  readonly runId: string;
  readonly address: string;
  readonly action: string;
}

export interface RecordedState {
  readonly address: string;
  readonly kind: string;
  readonly name: string;
  readonly target: string | null;
  readonly specHash: string;
  readonly spec: JsonValue | null;
  readonly attributes: Attributes;
  readonly providerId: string | null;
  readonly dependencies: readonly string[];
  readonly protect: boolean;
}

export type StateAction = 'create' | 'update' | 'replace' | 'delete' | 'adopt' | 'refresh' | 'recover';

/** What an intent records before its mutation. */
export interface IntentRequest {
  readonly runId: string;
  readonly actor: string;
  readonly address: string;
  readonly action: string;
  readonly beforeHash: string | null;
  readonly afterHash: string | null;
  readonly detail?: unknown;
}

export interface IntentResolution {
  readonly status: 'succeeded' | 'failed' | 'recovered';
  readonly afterHash?: string | null;
  readonly error?: string;
  readonly detail?: unknown;
}

/** The run a state record's write belongs to, and what it records. */
export interface RecordedChange {
  readonly runId: string;
  readonly action: StateAction;
}

/** One state record to write, and the change it records. */
export interface RecordedWrite {
  readonly record: RecordedState;
  readonly change: RecordedChange;
}

/** One intent resolved in a batch, with the state record its success wrote. */
export interface IntentCompletionRequest {
  readonly intent: RecordedIntent;
  readonly outcome: IntentResolution;
  readonly put?: RecordedWrite;
}

/**
 * What the executor needs from the state store. Contract: `recordIntent` writes the intent and its
 * audit entry atomically and throws if it cannot — the executor then does not call the provider
 * (fail closed). The batch methods keep that contract for many intents at once.
 */
export interface ApplyRecorder {
  recordIntent(intent: IntentRequest): Promise<RecordedIntent>;
  resolveIntent(intent: RecordedIntent, outcome: IntentResolution): Promise<void>;
  /**
   * Optional (batches need it): records every intent with its audit entry (one for all of them) in one transaction, or
   * none of them (then it throws and nothing may be mutated).
   */
  recordIntents?(intents: readonly IntentRequest[]): Promise<readonly RecordedIntent[]>;
  /** Optional (batches need it): writes the records and resolves the intents, with their audit entries, in one transaction. */
  completeIntents?(items: readonly IntentCompletionRequest[]): Promise<void>;
  putResource(record: RecordedState, change: RecordedChange): Promise<unknown>;
  /** Several records, as `putResource` writes each, in one transaction. */
  putResources(items: readonly RecordedWrite[]): Promise<void>;
  removeResource(address: string, change: RecordedChange): Promise<void>;
  readonly audit: {
    append(entry: {
      readonly actor: string;
      readonly runId: string | null;
      readonly address: string | null;
      readonly action: string;
      readonly beforeHash: string | null;
      readonly afterHash: string | null;
      readonly outcome: 'pending' | 'succeeded' | 'failed' | 'recovered' | 'info';
      readonly error: string | null;
      readonly detail?: unknown;
    }): Promise<unknown>;
  };
}
