import type { RuleSeverity } from '../../policy/index.js';
import type { ScanFinding, ScanReport } from '../../scan/index.js';

const LEVEL: Readonly<Record<RuleSeverity, 'error' | 'warning' | 'note'>> = { critical: 'error', high: 'error', medium: 'warning', low: 'note', info: 'note' };
/** GitHub code scanning reads `security-severity` (0-10) to rank security results. */
const SECURITY_SEVERITY: Readonly<Record<RuleSeverity, string>> = { critical: '9.5', high: '8.0', medium: '5.5', low: '3.0', info: '0.0' };

/** File paths as SARIF artifact URIs: relative paths stay relative (to the scan's working directory), with forward slashes. */
function uri(file: string): string {
  return file.split('\\').join('/').split('/').map(encodeURIComponent).join('/').replace(/^%2F/, '/');
}

/**
 * SARIF 2.1.0 log of a scan (validated against the official schema in a test), one run, one
 * reporting descriptor per rule that produced a result. Suppressed findings carry an `inSource`
 * suppression with the reason, as code scanning expects.
 */
export function scanSarifDocument(report: ScanReport, version: string): Record<string, unknown> {
  const rules = new Map<string, ScanFinding>();
  for (const f of report.findings) if (!rules.has(f.ruleId)) rules.set(f.ruleId, f);
  const ids = [...rules.keys()];
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'steward',
            version,
            informationUri: 'https://steward.dev/docs/scanning',
            rules: [...rules.values()].map((f) => ({
              id: f.ruleId,
              name: f.ruleId.replace(/[^A-Za-z0-9]/g, ''),
              shortDescription: { text: f.title },
              help: { text: f.remediation || f.title },
              defaultConfiguration: { level: LEVEL[f.severity] },
              properties: { tags: ['security', ...f.compliance], 'security-severity': SECURITY_SEVERITY[f.severity], checkov: f.checkov },
            })),
          },
        },
        results: report.findings.map((f) => ({
          ruleId: f.ruleId,
          ruleIndex: ids.indexOf(f.ruleId),
          level: LEVEL[f.severity],
          message: { text: `${f.resourceName === f.location.file ? '' : `${f.resourceName}: `}${f.message}` },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: uri(f.location.file) },
                region: { startLine: Math.max(1, f.location.line), startColumn: Math.max(1, f.location.column) },
              },
            },
          ],
          ...(f.suppression === undefined ? {} : { suppressions: [{ kind: 'inSource', justification: f.suppression.reason }] }),
        })),
      },
    ],
  };
}
