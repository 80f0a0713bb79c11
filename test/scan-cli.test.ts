import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeProject, runCli } from './project.js';

const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
delete env['FORCE_COLOR'];

const FILES = {
  'infra/s3.tf': 'resource "aws_s3_bucket" "public" {\n  bucket = "b"\n  acl    = "public-read"\n}\n',
  'k8s/pod.yaml': 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n    - name: web\n      image: nginx:1.27\n',
};

describe('steward scan (built binary)', () => {
  it('prints findings grouped by file and exits 1 when one reaches the threshold', async () => {
    const dir = await makeProject(FILES);
    const result = await runCli(['scan', dir], { env });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/s3\.tf\nLINE\s+SEVERITY\s+RULE/);
    expect(result.stdout).toMatch(/3\s+high\s+STW-AWS-S3-001\s+aws_s3_bucket\.public/);
    expect(result.stdout).toContain('pod.yaml');
  });

  it('exits 0 when nothing reaches --severity-threshold', async () => {
    const dir = await makeProject({ 'k8s/pod.yaml': FILES['k8s/pod.yaml'] });
    const result = await runCli(['scan', dir, '--severity-threshold', 'critical'], { env });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('writes SARIF and JSON reports', async () => {
    const dir = await makeProject(FILES);
    const out = join(dir, 'report.sarif');
    const sarif = await runCli(['scan', join(dir, 'infra'), '--format', 'sarif', '--out', out], { env });
    expect(sarif.code).toBe(1);
    const log = JSON.parse(await readFile(out, 'utf8')) as { version: string; runs: { results: unknown[] }[] };
    expect(log.version).toBe('2.1.0');
    expect(log.runs[0]?.results.length).toBeGreaterThan(0);
    const json = await runCli(['scan', join(dir, 'infra'), '--format', 'json', '--severity-threshold', 'info'], { env });
    const document = JSON.parse(json.stdout) as { ok: boolean; findings: { ruleId: string; line: number }[] };
    expect(document.ok).toBe(false);
    expect(document.findings.find((f) => f.ruleId === 'STW-AWS-S3-001')?.line).toBe(3);
  });

  it('reports a missing path and a bad option as one-line errors', async () => {
    const missing = await runCli(['scan', '/nonexistent/steward-scan'], { env });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('cannot scan /nonexistent/steward-scan');
    const bad = await runCli(['scan', '.', '--severity-threshold', 'urgent'], { env });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--severity-threshold must be one of critical, high, medium, low, info');
  });
});
