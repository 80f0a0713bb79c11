import type { JsonValue, PlannedChange } from '../core/index.js';

function count(value: JsonValue | undefined): number {
  if (Array.isArray(value)) return value.length;
  if (typeof value === 'object' && value !== null) return Object.values(value).reduce<number>((n, v) => n + count(v as JsonValue), 0);
  return value === undefined || value === null ? 0 : 1;
}

/** Privileges a change takes away: for each list-like field, the entries present before and gone after. */
export function revokedCount(change: PlannedChange): number {
  let revoked = 0;
  for (const field of change.changes) {
    const before = field.before;
    const after = field.after;
    if (Array.isArray(before)) {
      const kept = new Set((Array.isArray(after) ? after : []).map((v) => JSON.stringify(v)));
      revoked += before.filter((v) => !kept.has(JSON.stringify(v))).length;
    } else if (typeof before === 'object' && before !== null && /privilege|grant/i.test(field.field)) {
      revoked += Math.max(0, count(before) - count(after));
    }
  }
  return revoked;
}

/**
 * Why a change is destructive (and so needs approval even under auto unless allowed), or
 * undefined: deletes, replacements (delete then create), decommissioning an agent, and revoking
 * more than `maxRevokedPrivileges` privileges at once.
 */
export function destructiveReason(change: PlannedChange, maxRevokedPrivileges: number): string | undefined {
  if (change.action === 'delete') return change.kind === 'Agent' ? 'it decommissions an agent' : 'it deletes the resource';
  if (change.action === 'replace') return 'it deletes and recreates the resource';
  if (change.kind.endsWith('Grant') || change.kind.endsWith('DefaultPrivileges')) {
    const revoked = revokedCount(change);
    if (revoked > maxRevokedPrivileges) return `it revokes ${revoked} privileges (more than ${maxRevokedPrivileges})`;
  }
  return undefined;
}
