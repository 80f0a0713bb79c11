import { DiagnosticsError, type DesiredResource, type PlannedChange } from '../core/index.js';
import { mostSpecificScope, parseScope, type Scope } from '../core/scope.js';
import { AUTONOMY, autonomyDurationMs, autonomySpecSchema, type Approver, type AutonomyMode, type AutonomySpec } from '../kinds/autonomy.js';
import { resolveGuardrails, type ResolvedGuardrails } from '../kinds/guardrails.js';

interface ResolvedScope {
  readonly scope: Scope;
  readonly text: string;
  readonly mode: AutonomyMode;
  readonly allowDestructive: boolean;
  readonly intervalMs?: number;
}

/** What the agent may do, resolved from the project's Autonomy manifest (or the defaults). */
export interface ResolvedAutonomy {
  /** Where it came from (file:line), or `defaults`. */
  readonly source: string;
  readonly defaultMode: AutonomyMode;
  readonly scopes: readonly ResolvedScope[];
  readonly requiredApprovals: number;
  readonly expiryMs: number;
  readonly approvers: readonly Approver[];
  readonly resyncMs: number;
  readonly fingerprintMs: number;
  readonly guardrails: ResolvedGuardrails;
}

/** The autonomy of one resource: its mode, whether destructive changes may go ahead unapproved, and its scope. */
export interface ResourceAutonomy {
  readonly mode: AutonomyMode;
  readonly allowDestructive: boolean;
  readonly scope: string;
  readonly intervalMs?: number;
}

/** The project's autonomy; more than one Autonomy manifest is an error naming both. */
export function resolveAutonomy(resources: readonly DesiredResource[]): ResolvedAutonomy {
  const docs = resources.filter((r) => r.kind === AUTONOMY);
  if (docs.length > 1) {
    throw new DiagnosticsError(
      docs.slice(1).map((d) => ({
        severity: 'error',
        code: 'duplicate-name',
        summary: `only one Autonomy manifest is allowed per project; ${docs[0]!.address} is at ${docs[0]!.source.file}:${docs[0]!.source.line}`,
        address: d.address,
        location: d.source,
      })),
    );
  }
  const doc = docs[0];
  const spec: AutonomySpec = doc ? (doc.spec as AutonomySpec) : autonomySpecSchema.parse({});
  return {
    source: doc ? `${doc.source.file}:${doc.source.line}` : 'defaults',
    defaultMode: spec.default,
    scopes: spec.scopes.map((s) => {
      const parsed = parseScope(s.scope);
      if (!parsed.ok) throw new Error(parsed.error); // validated by the schema already
      return {
        scope: parsed.scope,
        text: s.scope,
        mode: s.mode ?? spec.default,
        allowDestructive: s.allowDestructive,
        intervalMs: s.interval === undefined ? undefined : autonomyDurationMs(s.interval),
      };
    }),
    requiredApprovals: spec.approvals.required,
    expiryMs: autonomyDurationMs(spec.approvals.expiry),
    approvers: spec.approvals.approvers,
    resyncMs: autonomyDurationMs(spec.resync),
    fingerprintMs: autonomyDurationMs(spec.fingerprintInterval),
    guardrails: resolveGuardrails(spec.guardrails),
  };
}

export function autonomyFor(autonomy: ResolvedAutonomy, resource: { readonly address: string; readonly kind: string; readonly labels: Readonly<Record<string, string>> }): ResourceAutonomy {
  const match = mostSpecificScope(autonomy.scopes, resource);
  if (!match) return { mode: autonomy.defaultMode, allowDestructive: false, scope: 'default' };
  return { mode: match.mode, allowDestructive: match.allowDestructive, scope: match.text, intervalMs: match.intervalMs };
}

/** The labels of the change's resource (from its declaration; a deleted one has none). */
export function labelsOf(change: PlannedChange): Readonly<Record<string, string>> {
  return change.desired?.metadata.labels ?? {};
}
