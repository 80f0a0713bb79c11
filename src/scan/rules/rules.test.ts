import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileScanRules } from '../evaluate.js';
import { readSources, scanTexts } from '../scan.js';
import { BUILTIN_SCAN_RULES } from './index.js';

const FIXTURES = path.join(import.meta.dirname, 'fixtures');

/**
 * Fixture convention: a resource is expected to fail when a segment of its name starts with `fail`
 * (`aws_s3_bucket.fail_x`, `fail/default`, `FailBucket`), to pass when one starts with `pass`.
 */
const marked = (name: string, prefix: string): boolean => name.toLowerCase().split(/[./]/).some((s) => s.startsWith(prefix));

describe('built-in scan rules', () => {
  it('are at least 60, with unique ids, and all compile', () => {
    expect(BUILTIN_SCAN_RULES.length).toBeGreaterThanOrEqual(60);
    const ids = BUILTIN_SCAN_RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(() => compileScanRules(BUILTIN_SCAN_RULES)).not.toThrow();
  });

  it('each have a fixture file, and every fixture belongs to a rule', () => {
    const files = readdirSync(FIXTURES).sort();
    expect(files).toEqual(BUILTIN_SCAN_RULES.map((r) => r.fixture).sort());
  });

  describe.each(BUILTIN_SCAN_RULES.map((r) => [r.id, r] as const))('%s', (_id, rule) => {
    it('flags exactly the fail* resources of its fixture and none of the pass* ones', async () => {
      const text = readFileSync(path.join(FIXTURES, rule.fixture), 'utf8');
      const sources = [{ file: rule.fixture, text }];
      const read = await readSources(sources, { secrets: false });
      const candidates = read.resources.filter((r) => rule.match.includes(r.type)).map((r) => r.name);
      const failing = candidates.filter((n) => marked(n, 'fail'));
      const passing = candidates.filter((n) => marked(n, 'pass') && !marked(n, 'fail'));
      expect(failing.length, 'fixture needs a failing resource').toBeGreaterThan(0);
      expect(passing.length, 'fixture needs a passing resource').toBeGreaterThan(0);

      const report = await scanTexts(sources, { rules: [rule], secrets: false });
      expect(report.findings.filter((f) => f.ruleId.startsWith('STW-SCAN'))).toEqual([]);
      const flagged = [...new Set(report.findings.map((f) => f.resourceName))].sort();
      expect(flagged).toEqual([...failing].sort());
      for (const finding of report.findings) {
        expect(finding.location.file).toBe(rule.fixture);
        expect(finding.location.line).toBeGreaterThan(0);
      }
    });
  });
});
