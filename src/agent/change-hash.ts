import { hashOf, type PlannedChange } from '../core/index.js';

/**
 * What a change request approves: the change exactly as planned — the action, every field's
 * value before and after, and the declaration it comes from. If the live state moves, the hash
 * moves with it and the approval no longer applies.
 */
export function changeSummary(change: PlannedChange): { readonly address: string; readonly action: string; readonly reason: string; readonly fields: readonly unknown[]; readonly specHash: string | null } {
  return {
    address: change.address,
    action: change.action,
    reason: change.reason,
    fields: change.changes.map((c) => ({ field: c.field, before: c.before ?? null, after: c.after ?? null })),
    specHash: change.desired ? hashOf(change.desired.spec) : null,
  };
}

export function planHashOf(change: PlannedChange): string {
  return hashOf(changeSummary(change));
}
