import type { JsonValue } from '../core/resource.js';

export type ChangeRequestStatus = 'pending' | 'approved' | 'rejected' | 'applied' | 'failed' | 'stale' | 'expired' | 'obsolete';

/** Statuses a request can be closed with once it is no longer waiting or approved. */
export type ChangeRequestClosing = 'applied' | 'failed' | 'stale' | 'expired' | 'obsolete';

export interface ChangeRequestDecision {
  readonly approver: string;
  readonly decision: 'approve' | 'reject';
  readonly comment: string | null;
  /** ISO 8601. */
  readonly decidedAt: string;
}

/** One planned change waiting for (or having had) a human decision. */
export interface ChangeRequest {
  readonly id: number;
  readonly address: string;
  readonly action: string;
  /** The hash of exactly the change proposed; only this hash may be applied once approved. */
  readonly planHash: string;
  /** What was proposed (fields before and after; never secret values). */
  readonly plan: JsonValue;
  readonly reason: string;
  readonly destructive: boolean;
  readonly proposer: string;
  readonly requiredApprovals: number;
  readonly status: ChangeRequestStatus;
  readonly outcome: string | null;
  /** ISO 8601. */
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly closedAt: string | null;
  readonly decisions: readonly ChangeRequestDecision[];
}

export interface ProposalInput {
  readonly address: string;
  readonly action: string;
  readonly planHash: string;
  readonly plan: unknown;
  readonly reason: string;
  readonly destructive: boolean;
  readonly proposer: string;
  readonly requiredApprovals: number;
  readonly expiresInMs: number;
  /** Attached to the audit entry (e.g. the manifest file and line). */
  readonly goal?: unknown;
}

export interface DecisionInput {
  readonly id: number;
  readonly approver: string;
  readonly decision: 'approve' | 'reject';
  readonly comment?: string;
}

export interface ChangeRequestRepository {
  /** Records a pending request and its `change.proposed` audit entry in one transaction. */
  propose(input: ProposalInput): Promise<ChangeRequest>;
  get(id: number): Promise<ChangeRequest | undefined>;
  /** Newest first; only the given statuses when asked. */
  list(filter?: { readonly statuses?: readonly ChangeRequestStatus[]; readonly address?: string }): Promise<readonly ChangeRequest[]>;
  /**
   * Records an approval or rejection with its audit entry. Refused (`invalid-input`) when the
   * request is not pending, has expired, the approver proposed it or already decided it. Enough
   * approvals make it `approved`; one rejection makes it `rejected`.
   */
  decide(input: DecisionInput): Promise<ChangeRequest>;
  /** Closes an open request (pending or approved) with an audit entry; false when it was not open. */
  close(id: number, status: ChangeRequestClosing, actor: string, outcome: string): Promise<boolean>;
  /** Pending requests whose expiry has passed become `expired` (audited); returns how many. */
  expireDue(actor: string): Promise<number>;
  /** How many requests wait for a decision. */
  pendingCount(): Promise<number>;
}
