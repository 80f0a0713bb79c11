import { describe, expect, it } from 'vitest';
import { prepareRules } from '../prepare.js';
import { runRuleTests } from '../rule-test.js';
import { BUILTIN_RULES, BUILTIN_TESTS } from './index.js';

describe('the built-in policy pack', () => {
  const prepared = prepareRules(BUILTIN_RULES);

  it('compiles and passes the static checks', () => {
    expect(prepared.diagnostics).toEqual([]);
    expect(prepared.rules).toHaveLength(BUILTIN_RULES.length);
  });

  it('has unique ids and, for every rule, a failing and a passing case', () => {
    const ids = BUILTIN_RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) {
      const cases = BUILTIN_TESTS.filter((t) => t.rule === id);
      expect(cases.some((t) => t.expect === 'violation'), `${id} has a failing case`).toBe(true);
      expect(cases.some((t) => t.expect === 'pass'), `${id} has a passing case`).toBe(true);
    }
  });

  it.each(BUILTIN_TESTS.map((t) => [`${t.rule}: ${t.name} -> ${t.expect}`, t] as const))('%s', (_label, test) => {
    const [result] = runRuleTests([test], prepared.rules);
    expect(result, result?.detail).toMatchObject({ ok: true, actual: test.expect });
  });

  it('validates every case against its kind, except the literal secret the loader would reject', () => {
    const asWritten = runRuleTests(BUILTIN_TESTS, prepared.rules).filter((r) => r.detail?.includes('spec used as written'));
    expect(asWritten.map((r) => r.test.name)).toEqual(['a literal password (as a scan would see it; the loader rejects it earlier)']);
  });

  it('interpolates messages with the resource and the change', () => {
    const results = runRuleTests(
      BUILTIN_TESTS.filter((t) => t.name === 'an update granting superuser' || t.name === 'a login role without a limit'),
      prepared.rules,
    );
    expect(results.map((r) => r.detail)).toEqual([
      'login role billing_bot has no connection limit, so a runaway client can exhaust the server',
      'this change gives PostgresRole/ops superuser',
    ]);
  });
});
