import { describe, expect, it } from 'vitest';
import { hashOf, type Attributes, type DesiredResource, type Observation } from '../core/index.js';
import { KINDS } from '../kinds/index.js';
import { declare } from '../../test/fixtures.js';
import { planChanges } from './planner.js';
import type { PriorRecord } from './prior.js';

const instance = declare('PostgresInstance', 'main', { password: { env: 'PGPASSWORD' } });
const role = (name: string, spec: Record<string, unknown> = {}): DesiredResource => declare('PostgresRole', name, { instance: 'main', ...spec });
const db = (name: string, spec: Record<string, unknown> = {}): DesiredResource => declare('PostgresDatabase', name, { instance: 'main', ...spec });
const live = (resource: DesiredResource, override: Record<string, unknown> = {}): Observation => ({
  exists: true,
  attributes: { ...KINDS.get(resource.kind)!.desiredAttributes(resource.name, resource.spec), ...override } as Attributes,
});
const absent: Observation = { exists: false, attributes: {} };
const recorded = (resource: DesiredResource, extra: Partial<PriorRecord> = {}): PriorRecord => ({
  address: resource.address,
  kind: resource.kind,
  name: resource.name,
  target: resource.target ?? null,
  dependencies: resource.dependsOn,
  protect: resource.protect,
  specHash: hashOf(resource.spec),
  attributes: live(resource).attributes,
  ...extra,
});

interface Case {
  readonly why: string;
  readonly desired: readonly DesiredResource[];
  readonly prior?: readonly PriorRecord[];
  readonly live: Readonly<Record<string, Observation>>;
  readonly expect: readonly (readonly [string, string])[];
  readonly forget?: readonly string[];
}

const app = role('app', { login: true });
const owner = role('owner');
const appDb = db('appdb', { owner: 'owner', encoding: 'UTF8' });

const cases: readonly Case[] = [
  { why: 'a new role is created', desired: [instance, app], live: { 'PostgresRole/app': absent }, expect: [['PostgresRole/app', 'create']] },
  { why: 'a matching live role is a no-op', desired: [instance, app], prior: [recorded(app)], live: { 'PostgresRole/app': live(app) }, expect: [['PostgresRole/app', 'no-op']] },
  {
    why: 'out-of-band change is drift to revert in place',
    desired: [instance, app],
    prior: [recorded(app)],
    live: { 'PostgresRole/app': live(app, { superuser: true }) },
    expect: [['PostgresRole/app', 'update']],
  },
  {
    why: 'a resource deleted outside Steward is created again',
    desired: [instance, app],
    prior: [recorded(app)],
    live: { 'PostgresRole/app': absent },
    expect: [['PostgresRole/app', 'create']],
  },
  {
    why: 'an encoding change cannot happen in place',
    desired: [instance, owner, appDb],
    prior: [recorded(owner), recorded(appDb)],
    live: { 'PostgresRole/owner': live(owner), 'PostgresDatabase/appdb': live(appDb, { encoding: 'LATIN1' }) },
    expect: [
      ['PostgresDatabase/appdb', 'replace'],
      ['PostgresRole/owner', 'no-op'],
    ],
  },
  {
    why: 'the owner role is created before the database that needs it',
    desired: [instance, appDb, owner],
    live: { 'PostgresRole/owner': absent, 'PostgresDatabase/appdb': absent },
    expect: [
      ['PostgresRole/owner', 'create'],
      ['PostgresDatabase/appdb', 'create'],
    ],
  },
  {
    why: 'removed resources are deleted dependants first',
    desired: [instance],
    prior: [recorded(owner), recorded(appDb)],
    live: { 'PostgresRole/owner': live(owner), 'PostgresDatabase/appdb': live(appDb) },
    expect: [
      ['PostgresDatabase/appdb', 'delete'],
      ['PostgresRole/owner', 'delete'],
    ],
  },
  {
    why: 'a removed resource already gone is only forgotten',
    desired: [instance],
    prior: [recorded(app)],
    live: { 'PostgresRole/app': absent },
    expect: [],
    forget: ['PostgresRole/app'],
  },
  {
    why: 'undeclared fields are not managed (no owner declared)',
    desired: [instance, db('free')],
    prior: [recorded(db('free'))],
    live: { 'PostgresDatabase/free': { exists: true, attributes: { owner: 'someone', encoding: 'SQL_ASCII', connectionLimit: -1, comment: null } } },
    expect: [['PostgresDatabase/free', 'no-op']],
  },
];

describe('planChanges', () => {
  it.each(cases)('$why', (c) => {
    const plan = planChanges({ desired: c.desired, prior: c.prior ?? [], observations: new Map(Object.entries(c.live)), kinds: KINDS });
    expect(plan.diagnostics).toEqual([]);
    expect(plan.changes.map((ch) => [ch.address, ch.action])).toEqual(c.expect);
    expect(plan.forget).toEqual(c.forget ?? []);
  });

  it('reports the fields that force a replacement and the field-level diff', () => {
    const plan = planChanges({
      desired: [instance, owner, appDb],
      prior: [recorded(owner), recorded(appDb)],
      observations: new Map([
        ['PostgresRole/owner', live(owner)],
        ['PostgresDatabase/appdb', live(appDb, { encoding: 'LATIN1', connectionLimit: 4 })],
      ]),
      kinds: KINDS,
    });
    const change = plan.changes.find((c) => c.address === 'PostgresDatabase/appdb')!;
    expect(change.reason).toBe('encoding cannot change in place');
    expect(change.changes).toEqual([
      { field: 'connectionLimit', before: 4, after: -1, requiresReplace: false },
      { field: 'encoding', before: 'LATIN1', after: 'UTF8', requiresReplace: true },
    ]);
  });

  it('refuses to delete a protected resource and says how to proceed', () => {
    const plan = planChanges({
      desired: [instance],
      prior: [recorded(app, { protect: true })],
      observations: new Map([['PostgresRole/app', live(app)]]),
      kinds: KINDS,
    });
    expect(plan.changes).toEqual([]);
    expect(plan.diagnostics).toEqual([expect.objectContaining({ code: 'protected-resource', address: 'PostgresRole/app', hint: expect.stringContaining('protect: false') })]);
  });

  it('marks a live resource that Steward never recorded as adopted', () => {
    const plan = planChanges({ desired: [instance, app], prior: [], observations: new Map([['PostgresRole/app', live(app, { comment: 'x' })]]), kinds: KINDS });
    expect(plan.changes[0]).toMatchObject({ action: 'update', adopt: true });
  });

  it('cannot delete a resource whose target is no longer declared', () => {
    const plan = planChanges({ desired: [], prior: [recorded(app)], observations: new Map(), kinds: KINDS });
    expect(plan.diagnostics[0]).toMatchObject({ code: 'orphaned-resource', hint: expect.stringContaining('steward state rm PostgresRole/app') });
  });

  it('orders a delete after the change that stops depending on it', () => {
    const newOwner = role('owner2');
    const moved = db('appdb', { owner: 'owner2', encoding: 'UTF8' });
    const plan = planChanges({
      desired: [instance, newOwner, moved],
      prior: [recorded(owner), recorded(appDb)],
      observations: new Map([
        ['PostgresRole/owner', live(owner)],
        ['PostgresRole/owner2', absent],
        ['PostgresDatabase/appdb', live(appDb)],
      ]),
      kinds: KINDS,
    });
    expect(plan.changes.map((c) => [c.address, c.action])).toEqual([
      ['PostgresRole/owner2', 'create'],
      ['PostgresDatabase/appdb', 'update'],
      ['PostgresRole/owner', 'delete'],
    ]);
  });

  it('orders only the changes, looking through unchanged resources, and lists the no-ops after them', () => {
    // The grant needs the database, which is unchanged but needs the owner, which changes: the
    // grant still waits for the owner, though its name sorts first.
    const grant = declare('PostgresGrant', 'connect', { instance: 'main', grantee: 'PUBLIC', privileges: ['CONNECT'], on: { type: 'database', database: 'appdb' } });
    expect(grant.dependsOn).toContain('PostgresDatabase/appdb');
    expect(grant.dependsOn).not.toContain('PostgresRole/owner');
    const plan = planChanges({
      desired: [instance, owner, appDb, grant],
      prior: [recorded(owner), recorded(appDb)],
      observations: new Map([
        ['PostgresRole/owner', live(owner, { comment: 'edited' })],
        ['PostgresDatabase/appdb', live(appDb)],
        ['PostgresGrant/connect', absent],
      ]),
      kinds: KINDS,
    });
    expect(plan.changes.map((c) => [c.address, c.action])).toEqual([
      ['PostgresRole/owner', 'update'],
      ['PostgresGrant/connect', 'create'],
      ['PostgresDatabase/appdb', 'no-op'],
    ]);
    expect(plan.changes[1]!.dependsOn).toEqual(['PostgresRole/owner']);
  });
});
