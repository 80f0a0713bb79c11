import type { Attributes } from '../core/index.js';

/** What planning needs to know from the state about a resource Steward manages. */
export interface PriorRecord {
  readonly address: string;
  readonly kind: string;
  readonly name: string;
  readonly target: string | null;
  readonly dependencies: readonly string[];
  readonly protect: boolean;
  readonly specHash: string;
  readonly attributes: Attributes;
  readonly providerId?: string | null;
}
