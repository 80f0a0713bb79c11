import type { ScanReport } from '../../scan/index.js';
import type { Colors } from '../output.js';
import { renderTable } from './table.js';

/** Human output: findings grouped by file, one row each, then a summary line. Suppressed findings are counted, not listed. */
export function renderScanTable(report: ScanReport, color: Colors): string {
  const active = report.findings.filter((f) => f.suppression === undefined);
  const suppressed = report.findings.length - active.length;
  const byFile = new Map<string, typeof active>();
  for (const f of active) byFile.set(f.location.file, [...(byFile.get(f.location.file) ?? []), f]);
  const paint = (severity: string): string =>
    severity === 'critical' || severity === 'high' ? color.red(severity) : severity === 'medium' ? color.yellow(severity) : color.dim(severity);
  const sections = [...byFile].map(([file, findings]) => {
    const rows = findings.map((f) => [`${f.location.line}`, f.severity, f.ruleId, f.resourceName === file ? '' : f.resourceName, `${f.title}: ${f.message}`]);
    const table = renderTable(['LINE', 'SEVERITY', 'RULE', 'RESOURCE', 'FINDING'], rows)
      .split('\n')
      .map((line, i) => (i === 0 ? color.dim(line) : line.replace(/\b(critical|high|medium|low|info)\b/, (s) => paint(s))))
      .join('\n');
    return `${color.bold(file)}\n${table}`;
  });
  const counts = ['critical', 'high', 'medium', 'low', 'info'].map((s) => `${active.filter((f) => f.severity === s).length} ${s}`).join(', ');
  const summary = `${active.length} findings (${counts}) in ${report.files.length} files, ${report.resources} resources, ${report.rules} rules${suppressed > 0 ? `; ${suppressed} suppressed` : ''}.`;
  return [...sections, active.length === 0 ? `${color.green('No findings.')} ${summary}` : summary].join('\n\n');
}
