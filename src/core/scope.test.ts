import { describe, expect, it } from 'vitest';
import { formatScope, mostSpecificScope, parseScope, scopeMatches, scopeSpecificity, type Scope } from './scope.js';

function parsed(text: string): Scope {
  const result = parseScope(text);
  if (!result.ok) throw new Error(result.error);
  return result.scope;
}

const app = { address: 'PostgresRole/app', kind: 'PostgresRole', labels: { team: 'payments', env: 'prod' } };

describe('parseScope', () => {
  it.each([
    ['project', { type: 'project' }],
    ['kind:PostgresGrant', { type: 'kind', kind: 'PostgresGrant' }],
    ['resource:PostgresRole/app', { type: 'resource', address: 'PostgresRole/app' }],
    ['resource:PostgresGrant/app/reader', { type: 'resource', address: 'PostgresGrant/app/reader' }],
    ['labels:team=payments,env=prod', { type: 'labels', selector: { team: 'payments', env: 'prod' } }],
    ['labels:tier=', { type: 'labels', selector: { tier: '' } }],
    ['  project  ', { type: 'project' }],
  ])('reads %s', (text, scope) => {
    expect(parseScope(text)).toEqual({ ok: true, scope });
  });

  it.each([
    ['', /is not a scope/],
    ['everything', /is not a scope; use project, kind:KIND/],
    ['team:payments', /unknown type "team"/],
    ['kind:', /is not a kind name/],
    ['kind:Postgres Grant', /is not a kind name/],
    ['resource:app', /is not a resource address/],
    ['resource:PostgresRole/', /is not a resource address/],
    ['labels:', /has no labels/],
    ['labels:team', /"team" is not KEY=VALUE/],
    ['labels:=x', /"" is not a label key/],
    ['labels:a=1,a=2', /given twice/],
  ])('refuses %j with a message saying why', (text, message) => {
    const result = parseScope(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(message);
  });
});

describe('formatScope', () => {
  it.each(['project', 'kind:PostgresGrant', 'resource:PostgresRole/app', 'labels:env=prod,team=payments'])(
    'round-trips %s',
    (text) => {
      expect(formatScope(parsed(text))).toBe(text);
    },
  );

  it('sorts label keys so equal selectors have one text form', () => {
    expect(formatScope(parsed('labels:team=payments,env=prod'))).toBe('labels:env=prod,team=payments');
  });
});

describe('scopeMatches', () => {
  it.each([
    ['project', true],
    ['kind:PostgresRole', true],
    ['kind:PostgresGrant', false],
    ['resource:PostgresRole/app', true],
    ['resource:PostgresRole/other', false],
    ['labels:team=payments', true],
    ['labels:team=payments,env=prod', true],
    ['labels:team=payments,env=dev', false],
    ['labels:owner=x', false],
  ])('%s matches PostgresRole/app: %s', (text, expected) => {
    expect(scopeMatches(parsed(text), app)).toBe(expected);
  });
});

describe('scopeSpecificity', () => {
  it('orders resource > labels > kind > project, more labels before fewer', () => {
    const order = ['resource:PostgresRole/app', 'labels:env=prod,team=payments', 'labels:team=payments', 'kind:PostgresRole', 'project'];
    const sorted = [...order].sort((a, b) => scopeSpecificity(parsed(b)) - scopeSpecificity(parsed(a)));
    expect(sorted).toEqual(order);
  });

  it('picks the most specific matching entry, ignoring those that do not match', () => {
    const entries = ['project', 'kind:PostgresRole', 'labels:team=payments', 'resource:PostgresRole/other'].map((text) => ({
      text,
      scope: parsed(text),
    }));
    expect(mostSpecificScope(entries, app)?.text).toBe('labels:team=payments');
    expect(mostSpecificScope(entries.slice(0, 1), app)?.text).toBe('project');
    expect(mostSpecificScope(entries.slice(3), app)).toBeUndefined();
  });
});
