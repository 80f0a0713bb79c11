import { describe, expect, it } from 'vitest';
import { compileRules, evaluateRules } from './evaluate.js';
import type { Rule } from './rule.js';

const rule = (over: Partial<Rule> = {}): Rule => ({
  id: 'STW-TEST-1',
  title: 'no superuser',
  severity: 'high',
  match: ['PostgresRole'],
  condition: 'has(resource.spec.superuser) && resource.spec.superuser',
  message: 'role {{ resource.metadata.name }} is a superuser',
  enforcement: 'deny',
  remediation: 'set superuser: false',
  compliance: ['CIS PostgreSQL 4.2'],
  ...over,
});

describe('CEL rules', () => {
  it('finds violations and interpolates the message', () => {
    const { rules, diagnostics } = compileRules([rule()]);
    expect(diagnostics).toEqual([]);
    const result = evaluateRules(rules, [
      { type: 'PostgresRole', name: 'a', resource: { metadata: { name: 'a' }, spec: { superuser: true } } },
      { type: 'PostgresRole', name: 'b', resource: { metadata: { name: 'b' }, spec: { superuser: false } } },
      { type: 'PostgresDatabase', name: 'c', resource: { metadata: { name: 'c' }, spec: {} } },
    ]);
    expect(result.diagnostics).toEqual([]);
    expect(result.findings.map((f) => [f.resourceName, f.message])).toEqual([['a', 'role a is a superuser']]);
  });

  it('reports a rule that does not compile, and one that fails or is not boolean at runtime', () => {
    expect(compileRules([rule({ condition: 'resource.spec ==' })]).diagnostics[0]?.summary).toContain('does not compile');
    const { rules } = compileRules([rule({ condition: 'resource.spec.missing' }), rule({ id: 'STW-TEST-2', condition: '"text"' })]);
    const result = evaluateRules(rules, [{ type: 'PostgresRole', name: 'a', resource: { spec: {} } }]);
    expect(result.findings).toEqual([]);
    expect(result.diagnostics.map((d) => d.summary)).toEqual([
      expect.stringContaining('STW-TEST-1: evaluating it on PostgresRole/a failed'),
      expect.stringContaining('STW-TEST-2: evaluating it on PostgresRole/a returned string'),
    ]);
  });
});
