import { describe, expect, it } from 'vitest';
import { addressOf, summarize, type DesiredResource, type Plan, type PlannedChange, type ResourceAddress } from '../core/index.js';
import { KINDS } from '../kinds/index.js';
import { declare } from '../../test/fixtures.js';
import { evaluatePlanPolicies } from './gate.js';
import { policySetOf } from './policy-set.js';
import { expiryOf, type Waiver } from './waivers.js';

const NOW = new Date('2026-06-01T12:00:00Z');
const instance = declare('PostgresInstance', 'main', { password: { env: 'PGPASSWORD' } });

function role(name: string, spec: Record<string, unknown>, annotations: Record<string, string> = { 'steward.dev/owner': 'team' }): DesiredResource {
  return declare('PostgresRole', name, { instance: 'main', ...spec }, {
    metadata: { name, labels: {}, annotations },
    source: { file: 'roles.yaml', line: 7, column: 1 },
  });
}

function planned(resource: DesiredResource, action: PlannedChange['action'], observed?: Record<string, unknown>): PlannedChange {
  const definition = KINDS.get(resource.kind)!;
  const desired = definition.desiredAttributes(resource.name, resource.spec);
  const before = observed ?? {};
  const changes = Object.entries(desired)
    .filter(([k, v]) => JSON.stringify(before[k]) !== JSON.stringify(v))
    .map(([field, after]) => ({ field, before: before[field] as never, after, requiresReplace: false }));
  return {
    address: resource.address,
    kind: resource.kind,
    name: resource.name,
    action,
    changes,
    reason: 'test',
    target: 'PostgresInstance/main' as ResourceAddress,
    dependsOn: [],
    ...(observed ? { observed: observed as never } : {}),
    desired: resource,
    adopt: false,
  };
}

function deletion(kind: string, name: string, observed: Record<string, unknown>): PlannedChange {
  return {
    address: addressOf(kind, name),
    kind,
    name,
    action: 'delete',
    changes: [],
    reason: 'removed',
    target: 'PostgresInstance/main' as ResourceAddress,
    dependsOn: [],
    observed: observed as never,
    adopt: false,
  };
}

const planOf = (changes: readonly PlannedChange[]): Plan => ({ changes, diagnostics: [], summary: summarize(changes) });

function waiver(rule: string, resources: readonly string[], expires: string): Waiver {
  return { address: `PolicyWaiver/${rule}`, rule, resources, reason: 'migration', owner: 'dba-team', expires, expiresAt: expiryOf(expires), source: { file: 'waivers.yaml', line: 3, column: 1 } };
}

const builtin = policySetOf({ desired: [] }).rules;
const evaluate = (changes: readonly PlannedChange[], waivers: readonly Waiver[] = [], rules = builtin) =>
  evaluatePlanPolicies({ desired: [instance, ...changes.flatMap((c) => (c.desired ? [c.desired] : []))], plan: planOf(changes), rules, waivers, now: NOW });

describe('evaluatePlanPolicies', () => {
  const admin = role('admin_bot', { login: true, connectionLimit: 2, validUntil: '2030-01-01T00:00:00Z', comment: 'ops', superuser: true });

  it('denies creating a superuser, naming the rule, the resource and where it is declared', () => {
    const result = evaluate([planned(admin, 'create')]);
    expect(result.denied).toEqual([
      expect.objectContaining({
        ruleId: 'STW-PG-001',
        severity: 'critical',
        outcome: 'denied',
        address: 'PostgresRole/admin_bot',
        action: 'create',
        location: { file: 'roles.yaml', line: 7, column: 1 },
        message: 'role admin_bot has SUPERUSER, which bypasses every permission check on the server',
      }),
    ]);
    expect(result.diagnostics).toEqual([]);
  });

  it('lets a live waiver through and records who waived it', () => {
    const result = evaluate([planned(admin, 'create')], [waiver('STW-PG-001', ['PostgresRole/admin_bot'], '2026-07-01')]);
    expect(result.denied).toEqual([]);
    expect(result.decisions).toEqual([
      expect.objectContaining({ ruleId: 'STW-PG-001', outcome: 'waived', waivedBy: { address: 'PolicyWaiver/STW-PG-001', owner: 'dba-team', reason: 'migration', expires: '2026-07-01' } }),
    ]);
  });

  it('accepts Kind/* in a waiver, and ignores one for another rule or kind', () => {
    expect(evaluate([planned(admin, 'create')], [waiver('STW-PG-001', ['PostgresRole/*'], '2026-07-01')]).denied).toEqual([]);
    expect(evaluate([planned(admin, 'create')], [waiver('STW-PG-002', ['PostgresRole/*'], '2026-07-01')]).denied).toHaveLength(1);
    expect(evaluate([planned(admin, 'create')], [waiver('STW-PG-001', ['PostgresDatabase/*'], '2026-07-01')]).denied).toHaveLength(1);
  });

  it('stops applying an expired waiver and reports it', () => {
    const expired = waiver('STW-PG-001', ['PostgresRole/admin_bot'], '2026-06-01');
    const result = evaluate([planned(admin, 'create')], [expired]);
    expect(result.denied).toHaveLength(1);
    expect(result.expiredWaivers).toEqual([expired]);
    expect(result.diagnostics).toEqual([
      expect.objectContaining({ severity: 'warning', location: expired.source, summary: expect.stringContaining('expired on 2026-06-01') }),
    ]);
  });

  it('shows warnings without denying, and does not evaluate resources that do not change', () => {
    const loose = role('loose_bot', { login: true, connectionLimit: 3 }, {});
    const result = evaluate([planned(loose, 'create'), planned(admin, 'no-op')]);
    expect(result.denied).toEqual([]);
    expect(result.decisions.map((d) => [d.ruleId, d.outcome])).toEqual([
      ['STW-PG-006', 'warned'],
      ['STW-PG-007', 'warned'],
      ['STW-PG-008', 'warned'],
    ]);
  });

  it('evaluates plan-time rules on every change: an update granting superuser, a dropped database', () => {
    const before = KINDS.get('PostgresRole')!.desiredAttributes('admin_bot', { ...admin.spec as object, superuser: false });
    const escalation = evaluate([planned(admin, 'update', before as Record<string, unknown>)]);
    expect(escalation.denied.map((d) => [d.ruleId, d.message])).toEqual([
      ['STW-PG-001', 'role admin_bot has SUPERUSER, which bypasses every permission check on the server'],
      ['STW-PG-031', 'this change gives PostgresRole/admin_bot superuser'],
    ]);
    const drop = evaluate([deletion('PostgresDatabase', 'billing', { connectionLimit: -1, comment: null, owner: 'x' })]);
    expect(drop.decisions).toEqual([
      expect.objectContaining({ ruleId: 'STW-PG-030', outcome: 'warned', action: 'delete', message: 'PostgresDatabase/billing would be dropped, losing all its data' }),
    ]);
    expect(drop.decisions[0]).not.toHaveProperty('location');
  });

  it('reports a rule failing at runtime as an error, never as a pass', () => {
    const rules = [{ ...builtin[0]!, id: 'X-1', condition: 'resource.spec.config.nothing_here == "x"', source: { file: 'p.yaml', line: 9, column: 7 } }];
    const result = evaluate([planned(admin, 'create')], [], rules);
    expect(result.decisions).toEqual([]);
    expect(result.diagnostics).toEqual([
      expect.objectContaining({ severity: 'error', location: { file: 'p.yaml', line: 9, column: 7 }, summary: expect.stringContaining('X-1: evaluating it on PostgresRole/admin_bot failed') }),
    ]);
  });

  it('warns about a waiver for a rule that is not active', () => {
    const result = evaluate([], [waiver('NOPE-1', ['PostgresRole/*'], '2027-01-01')]);
    expect(result.diagnostics.map((d) => d.summary)).toEqual(['PolicyWaiver/NOPE-1 waives NOPE-1, which is not an active rule (unknown or disabled)']);
  });
});
