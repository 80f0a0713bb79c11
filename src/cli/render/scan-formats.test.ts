import { readFileSync } from 'node:fs';
import path from 'node:path';
import ajvDraft04 from 'ajv-draft-04';
import pc from 'picocolors';
import { describe, expect, it } from 'vitest';
import { scanTexts } from '../../scan/index.js';
import { scanJsonDocument } from './scan-json.js';
import { renderScanJunit } from './scan-junit.js';
import { scanSarifDocument } from './scan-sarif.js';
import { renderScanTable } from './scan-table.js';

// The official SARIF 2.1.0 schema (draft-04), vendored from @microsoft/jest-sarif (MIT).
const SCHEMA = JSON.parse(readFileSync(path.join(import.meta.dirname, '../../../test/fixtures/sarif-2.1.0-rtm.5.json'), 'utf8')) as object;

const SOURCES = [
  {
    file: 'infra/main.tf',
    text: `# steward:ignore STW-AWS-S3-004 reason: this is the log bucket
resource "aws_s3_bucket" "logs" {
  bucket = "logs"
  acl    = "public-read"
}
`,
  },
  { file: 'k8s/app.yaml', text: 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  hostNetwork: true\n  containers:\n    - name: web\n      image: nginx\n' },
  { file: 'broken.tf', text: 'resource "x" {\n  = \n}\n' },
  { file: 'notes.txt', text: 'nothing to see\n' },
];

describe('scan output formats', async () => {
  const report = await scanTexts(SOURCES);

  it('SARIF validates against the SARIF 2.1.0 JSON schema', () => {
    // ajv-draft-04 is CommonJS: under NodeNext its class is the `default` of the module object.
    const ajv = new ajvDraft04.default({ allErrors: true, strict: false, validateFormats: false, unicodeRegExp: false });
    const validate = ajv.compile(SCHEMA);
    const document = scanSarifDocument(report, '0.1.0');
    expect(validate(document), JSON.stringify(validate.errors, null, 2)).toBe(true);
    const results = (document['runs'] as { results: { suppressions?: unknown[] }[] }[])[0]?.results ?? [];
    expect(results.length).toBe(report.findings.length);
    expect(results.some((r) => r.suppressions !== undefined)).toBe(true);
  });

  it('JSON lists every finding with file and line, and marks suppressed ones', () => {
    const document = scanJsonDocument(report, 'high', true);
    const findings = document['findings'] as { ruleId: string; file: string; line: number; suppressed: unknown }[];
    expect(findings.every((f) => f.file !== '' && f.line > 0)).toBe(true);
    expect(findings.find((f) => f.ruleId === 'STW-AWS-S3-004')?.suppressed).toEqual({ reason: 'this is the log bucket', line: 1 });
    expect(findings.find((f) => f.ruleId === 'STW-SCAN-PARSE')?.file).toBe('broken.tf');
  });

  it('the table groups findings by file', () => {
    const text = renderScanTable(report, pc.createColors(false));
    expect(text).toContain('infra/main.tf\nLINE');
    expect(text).toContain('k8s/app.yaml\nLINE');
    expect(text).toMatch(/4\s+high\s+STW-AWS-S3-001\s+aws_s3_bucket\.logs/);
    expect(text).toContain('1 suppressed');
  });

  it('JUnit has a failure per finding at or above the threshold', () => {
    const xml = renderScanJunit(report, (s) => s === 'critical' || s === 'high');
    expect(xml).toContain('<testsuite name="infra/main.tf"');
    expect(xml).toContain('<failure type="high"');
    expect(xml).toContain('<testcase name="no findings" classname="notes.txt"/>');
    expect(xml).toMatch(/<testsuites name="steward scan" tests="\d+" failures="\d+">/);
  });
});
