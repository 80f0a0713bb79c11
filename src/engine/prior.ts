import type { Attributes, JsonValue } from '../core/index.js';

/** What planning needs to know from the state about a resource Steward manages. */
export interface PriorRecord {
  readonly address: string;
  readonly kind: string;
  readonly name: string;
  readonly target: string | null;
  readonly dependencies: readonly string[];
  readonly protect: boolean;
  readonly specHash: string;
  /** What was last observed; absent when the plan read only the record's summary (see `refreshAndPlan`). */
  readonly attributes?: Attributes;
  readonly providerId?: string | null;
  /** The spec last applied; null when the state does not know it. */
  readonly spec?: JsonValue | null;
}
