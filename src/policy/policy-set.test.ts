import { describe, expect, it } from 'vitest';
import { loadManifestTexts } from '../manifest/index.js';
import { BUILTIN_RULES } from './builtin/index.js';
import { policySetOf } from './policy-set.js';
import { prepareRules } from './prepare.js';
import { runRuleTests } from './rule-test.js';

const POLICY = `# company rules
apiVersion: steward.dev/v1alpha1
kind: Policy
metadata:
  name: acme
spec:
  disabled: [STW-PG-008]
  enforce: { STW-PG-030: deny }
  rules:
    - id: ACME-1
      title: roles are labelled with a team
      severity: low
      match: [PostgresRole]
      condition: '!("team" in resource.metadata.labels)'
      message: 'role {{ resource.metadata.name }} has no team label'
      enforcement: warn
    - id: ACME-2
      title: broken on purpose
      severity: high
      match: [PostgresRole]
      condition: 'resource.spec.login &&'
      message: x
    - id: ACME-3
      title: misspelt field
      severity: high
      match: [PostgresRole]
      condition: 'has(resource.spec.superusr)'
      message: x
    - id: ACME-4
      title: misspelt variable
      severity: high
      match: [PostgresRole]
      condition: 'resorce.spec.login'
      message: x
  tests:
    - rule: ACME-1
      expect: violation
      resource: { kind: PostgresRole, metadata: { name: a }, spec: { instance: main } }
    - rule: ACME-1
      expect: pass
      resource: { kind: PostgresRole, metadata: { name: a, labels: { team: x } }, spec: { instance: main } }
    - name: written wrong on purpose
      rule: ACME-1
      expect: pass
      resource: { kind: PostgresRole, metadata: { name: a }, spec: { instance: main } }
`;

const WAIVER = `apiVersion: steward.dev/v1alpha1
kind: PolicyWaiver
metadata:
  name: legacy-admin
spec:
  rule: STW-PG-001
  resources: [PostgresRole/legacy_admin]
  reason: the vendor tool needs it until the migration
  owner: dba-team@example.com
  expires: 2026-09-30
`;

function load(files: Readonly<Record<string, string>>) {
  const loaded = loadManifestTexts(Object.entries(files).map(([file, text]) => ({ file, text })));
  expect(loaded.diagnostics).toEqual([]);
  return policySetOf({ desired: loaded.resources, texts: new Map(Object.entries(files)) });
}

describe('policy manifests', () => {
  const set = load({ 'policies/acme.yaml': POLICY, 'policies/waivers.yaml': WAIVER });

  it('adds project rules located at their own line, disables and re-enforces built-in ones', () => {
    const acme = set.rules.find((r) => r.id === 'ACME-1');
    expect(acme).toMatchObject({ source: { file: 'policies/acme.yaml', line: 10, column: 7 }, policy: 'Policy/acme', remediation: '', compliance: [] });
    expect(set.rules.some((r) => r.id === 'STW-PG-008')).toBe(false);
    expect(set.disabled).toEqual([{ ruleId: 'STW-PG-008', by: 'Policy/acme', location: { file: 'policies/acme.yaml', line: 7, column: 14 } }]);
    expect(set.rules.find((r) => r.id === 'STW-PG-030')?.enforcement).toBe('deny');
    expect(set.overrides).toEqual([expect.objectContaining({ ruleId: 'STW-PG-030', from: 'warn', to: 'deny' })]);
    expect(set.rules).toHaveLength(BUILTIN_RULES.length - 1 + 4);
  });

  it('reads waivers with their expiry', () => {
    expect(set.waivers).toEqual([
      expect.objectContaining({ address: 'PolicyWaiver/legacy-admin', rule: 'STW-PG-001', expiresAt: new Date('2026-09-30T00:00:00Z'), source: { file: 'policies/waivers.yaml', line: 1, column: 1 } }),
    ]);
  });

  it('reports broken rules with the file and line of each, and keeps the others', () => {
    const prepared = prepareRules(set.rules);
    expect(prepared.diagnostics.map((d) => [d.location?.line, d.summary, d.hint])).toEqual([
      [17, expect.stringContaining('policy rule ACME-2: its condition does not compile'), expect.any(String)],
      [23, "policy rule ACME-3: its condition reads resource.spec.superusr, which PostgresRole does not have", expect.stringContaining("did you mean 'superuser'?")],
      [29, "policy rule ACME-4: its condition reads the unknown variable 'resorce'", expect.any(String)],
    ]);
    expect(prepared.diagnostics.every((d) => d.severity === 'error' && d.location?.file === 'policies/acme.yaml')).toBe(true);
    expect(prepared.rules.map((r) => r.rule.id)).toContain('ACME-1');
  });

  it('runs the tests a policy carries', () => {
    const results = runRuleTests(set.tests, prepareRules(set.rules).rules);
    expect(results.map((r) => [r.test.name, r.ok, r.actual, r.test.source?.line])).toEqual([
      ['acme case 1', true, 'violation', 36],
      ['acme case 2', true, 'pass', 39],
      ['written wrong on purpose', false, 'violation', 42],
    ]);
  });

  it('refuses a project rule reusing a built-in id', () => {
    const clash = load({ 'p.yaml': POLICY.replace('id: ACME-1', 'id: STW-PG-001') });
    expect(clash.diagnostics).toEqual([
      expect.objectContaining({ severity: 'error', code: 'duplicate-name', location: { file: 'p.yaml', line: 10, column: 11 }, summary: 'policy rule STW-PG-001 is declared twice: here and in the built-in pack' }),
    ]);
  });
});
