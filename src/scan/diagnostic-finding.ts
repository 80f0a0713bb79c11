import type { Diagnostic } from '../core/index.js';
import type { ScanFinding } from './types.js';

/** A manifest or policy problem reported as a finding on its file, so the scan goes on. */
export function diagnosticFinding(
  d: Diagnostic,
  rule: { readonly ruleId: string; readonly title: string; readonly severity: ScanFinding['severity']; readonly remediation: string },
): ScanFinding {
  return {
    ruleId: rule.ruleId,
    title: rule.title,
    severity: rule.severity,
    message: d.summary,
    remediation: d.hint ?? rule.remediation,
    compliance: [],
    checkov: [],
    resourceType: 'file',
    resourceName: d.location?.file ?? '',
    location: d.location ?? { file: '', line: 1, column: 1 },
  };
}
