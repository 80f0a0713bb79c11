import type { Diagnostic, PlannedChange, SourceLocation } from '../../core/index.js';
import type { ApplyReport, PlanReport, PolicyReport } from '../../app/index.js';
import { identitySyncDocument } from './identities.js';

/**
 * The machine-readable documents of `plan --json` and `apply --json`. Stable: fields are only
 * ever added; `formatVersion` changes if one is removed or changes meaning (docs/json-output.md).
 */
export const JSON_FORMAT_VERSION = '1';

function change(c: PlannedChange): Record<string, unknown> {
  return {
    address: c.address,
    kind: c.kind,
    name: c.name,
    action: c.action,
    reason: c.reason,
    adopt: c.adopt,
    target: c.target,
    dependsOn: c.dependsOn,
    fields: c.changes.map((f) => ({ field: f.field, before: f.before ?? null, after: f.after ?? null, requiresReplace: f.requiresReplace })),
  };
}

function diagnostic(d: Diagnostic): Record<string, unknown> {
  return {
    severity: d.severity,
    code: d.code,
    summary: d.summary,
    detail: d.detail ?? null,
    hint: d.hint ?? null,
    file: d.location?.file ?? null,
    line: d.location?.line ?? null,
    column: d.location?.column ?? null,
    path: d.path ?? null,
    address: d.address ?? null,
  };
}

function location(l: SourceLocation | undefined): Record<string, unknown> | null {
  return l ? { file: l.file, line: l.line, column: l.column } : null;
}

function policy(p: PolicyReport): Record<string, unknown> {
  return {
    rules: p.rules,
    denied: p.denied.length,
    decisions: p.decisions.map((d) => ({
      rule: d.ruleId,
      title: d.title,
      severity: d.severity,
      enforcement: d.enforcement,
      outcome: d.outcome,
      address: d.address,
      action: d.action,
      message: d.message,
      remediation: d.remediation,
      compliance: d.compliance,
      location: location(d.location),
      ruleLocation: location(d.ruleSource),
      waivedBy: d.waivedBy ?? null,
    })),
    disabled: p.disabled.map((d) => ({ rule: d.ruleId, by: d.by, location: location(d.location) })),
    overrides: p.overrides.map((o) => ({ rule: o.ruleId, from: o.from, to: o.to, by: o.by, location: location(o.location) })),
    expiredWaivers: p.expiredWaivers.map((w) => ({ address: w.address, rule: w.rule, expires: w.expires, owner: w.owner, location: location(w.source) })),
  };
}

export function planDocument(report: PlanReport, command = 'plan'): Record<string, unknown> {
  return {
    formatVersion: JSON_FORMAT_VERSION,
    command,
    hasChanges: report.plan.changes.some((c) => c.action !== 'no-op'),
    summary: report.plan.summary,
    changes: report.plan.changes.map(change),
    forget: report.plan.forget,
    diagnostics: report.plan.diagnostics.map(diagnostic),
    pendingIntents: report.pendingIntents,
    statements: report.statements,
    policy: policy(report.policy),
    paused: (report.paused ?? []).map(({ pause, addresses }) => ({
      scope: pause.scope,
      reason: pause.reason,
      actor: pause.actor,
      since: pause.createdAt,
      heldBack: addresses,
    })),
  };
}

export function applyDocument(report: ApplyReport, command = 'apply'): Record<string, unknown> {
  return {
    ...planDocument(report, command),
    runId: report.runId ?? null,
    approved: report.approved,
    ok: report.approved && (report.apply?.ok ?? false),
    recoveries: report.recoveries,
    results: (report.apply?.results ?? []).map((r) => ({ address: r.address, action: r.action, status: r.status, error: r.error ?? null, durationMs: r.durationMs })),
    identities: identitySyncDocument(report.identities),
  };
}

export function diagnosticsDocument(diagnostics: readonly Diagnostic[], command: string): Record<string, unknown> {
  return { formatVersion: JSON_FORMAT_VERSION, command, ok: false, diagnostics: diagnostics.map(diagnostic) };
}
