import type { ScanFinding, ScanReport } from '../../scan/index.js';

/** `steward scan --format json`: stable, fields only ever added; `formatVersion` changes otherwise. */
export function scanJsonDocument(report: ScanReport, threshold: string, failed: boolean): Record<string, unknown> {
  const finding = (f: ScanFinding): Record<string, unknown> => ({
    ruleId: f.ruleId,
    title: f.title,
    severity: f.severity,
    message: f.message,
    remediation: f.remediation,
    compliance: f.compliance,
    checkov: f.checkov,
    resourceType: f.resourceType,
    resourceName: f.resourceName,
    file: f.location.file,
    line: f.location.line,
    column: f.location.column,
    attribute: f.attribute ?? null,
    suppressed: f.suppression === undefined ? null : { reason: f.suppression.reason, line: f.suppression.location.line },
  });
  return {
    formatVersion: '1',
    command: 'scan',
    ok: !failed,
    severityThreshold: threshold,
    files: report.files,
    resources: report.resources,
    rules: report.rules,
    durationMs: Math.round(report.durationMs),
    findings: report.findings.map(finding),
  };
}
