import type { ScanReport } from '../../scan/index.js';

const escape = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

/**
 * JUnit XML for CI dashboards: one test suite per file, one test case per finding at or above the
 * threshold (a failure) or below it (skipped), and one passing case for a file with no finding.
 */
export function renderScanJunit(report: ScanReport, failing: (severity: string) => boolean): string {
  const byFile = new Map<string, ScanReport['findings'][number][]>(report.files.map((f) => [f.file, []]));
  for (const f of report.findings) byFile.set(f.location.file, [...(byFile.get(f.location.file) ?? []), f]);
  let failures = 0;
  let tests = 0;
  const suites = [...byFile].map(([file, findings]) => {
    const cases = findings.map((f) => {
      const name = escape(`${f.ruleId} ${f.resourceName}:${f.location.line}`);
      const classname = escape(file);
      if (f.suppression !== undefined) return `    <testcase name="${name}" classname="${classname}"><skipped message="${escape(`suppressed: ${f.suppression.reason}`)}"/></testcase>`;
      if (!failing(f.severity)) return `    <testcase name="${name}" classname="${classname}"><skipped message="${escape(`${f.severity} is below the threshold`)}"/></testcase>`;
      failures++;
      return `    <testcase name="${name}" classname="${classname}"><failure type="${escape(f.severity)}" message="${escape(f.title)}">${escape(`${file}:${f.location.line} ${f.message}\nRemediation: ${f.remediation}`)}</failure></testcase>`;
    });
    if (cases.length === 0) cases.push(`    <testcase name="no findings" classname="${escape(file)}"/>`);
    tests += cases.length;
    const suiteFailures = findings.filter((f) => f.suppression === undefined && failing(f.severity)).length;
    return `  <testsuite name="${escape(file)}" tests="${cases.length}" failures="${suiteFailures}">\n${cases.join('\n')}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="steward scan" tests="${tests}" failures="${failures}">\n${suites.join('\n')}\n</testsuites>`;
}
