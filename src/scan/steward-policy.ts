import { addressOf, type DesiredResource, type ResourceAddress } from '../core/index.js';
import { KINDS } from '../kinds/index.js';
import { evaluatePlanPolicies, policySetOf, type PolicyDecision } from '../policy/index.js';
import { diagnosticFinding } from './diagnostic-finding.js';
import type { ScanFinding } from './types.js';

/**
 * Steward manifests are judged by the same rules that gate `plan` and `apply`: the built-in pack
 * and the project's own Policy manifests, with its waivers. Scanning has no live state, so every
 * managed resource is judged as if it were about to be created; rules over changes to existing
 * resources (drops, escalations) only apply at plan time. Waived decisions are not findings.
 */
export function stewardPolicyFindings(desired: readonly DesiredResource[], texts: ReadonlyMap<string, string>, now: Date = new Date()): readonly ScanFinding[] {
  if (desired.length === 0) return [];
  const set = policySetOf({ desired, texts });
  const managed = desired.filter((r) => KINDS.get(r.kind)?.role === 'managed');
  const changes = managed.map((r) => ({
    address: r.address,
    kind: r.kind,
    name: r.name,
    action: 'create' as const,
    changes: [],
    reason: 'scanned',
    target: (r.target ?? addressOf('PostgresInstance', '-')) as ResourceAddress,
    dependsOn: [],
    desired: r,
    adopt: false,
  }));
  const summary = { create: changes.length, update: 0, replace: 0, delete: 0, noop: 0 };
  const evaluation = evaluatePlanPolicies({ desired, plan: { changes, diagnostics: [], summary }, rules: set.rules, waivers: set.waivers, now });
  const findings = evaluation.decisions.filter((d) => d.outcome !== 'waived').map(toFinding);
  const broken = [...set.diagnostics, ...evaluation.diagnostics]
    .filter((d) => d.severity === 'error')
    .map((d) => diagnosticFinding(d, { ruleId: 'STW-SCAN-POLICY', title: 'Steward policy could not be evaluated', severity: 'high', remediation: 'fix the Policy manifest' }));
  return [...findings, ...broken];
}

function toFinding(decision: PolicyDecision): ScanFinding {
  const [type, ...rest] = decision.address.split('/');
  return {
    ruleId: decision.ruleId,
    title: decision.title,
    severity: decision.severity,
    message: decision.message,
    remediation: decision.remediation,
    compliance: decision.compliance,
    checkov: [],
    resourceType: type ?? '',
    resourceName: rest.join('/'),
    location: decision.location ?? { file: '', line: 1, column: 1 },
  };
}
