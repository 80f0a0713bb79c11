import { hashOf, type PlannedChange } from '../core/index.js';
import { createRedactor, isSensitiveKey, REDACTED, secretValuesFromEnv, type Redactor } from './observability/index.js';

export interface ChangeSummary {
  readonly address: string;
  readonly action: string;
  readonly reason: string;
  readonly fields: readonly { readonly field: string; readonly before: unknown; readonly after: unknown }[];
  readonly specHash: string | null;
}

/**
 * What a change request approves: the change exactly as planned — the action, every field's
 * value before and after, and the declaration it comes from. If the live state moves, the hash
 * moves with it and the approval no longer applies.
 */
export function changeSummary(change: PlannedChange): ChangeSummary {
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

let redactor: Redactor | undefined;

/**
 * The summary as it may be stored and shown (audit log, change requests): values of fields named
 * like secrets are replaced, and known secret values (from secret-named environment variables)
 * and URL passwords are scrubbed from every string. Attributes
 * never hold secrets by contract; this is the second line of defence.
 */
export function redactedSummary(change: PlannedChange): ChangeSummary {
  redactor ??= createRedactor(secretValuesFromEnv(process.env));
  const summary = changeSummary(change);
  const fields = summary.fields.map((f) => (isSensitiveKey(f.field) ? { field: f.field, before: f.before === null ? null : REDACTED, after: f.after === null ? null : REDACTED } : f));
  return scrub({ ...summary, fields }, redactor) as ChangeSummary;
}

/** Known secret values and URL passwords scrubbed from every string, keys left alone (a table may be called `api_tokens`). */
function scrub(value: unknown, r: Redactor): unknown {
  if (typeof value === 'string') return r.redactText(value);
  if (Array.isArray(value)) return value.map((v) => scrub(v, r));
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v, r)]));
  return value;
}
