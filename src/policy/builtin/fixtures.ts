import type { RuleTest } from '../rule-test.js';

/**
 * Passing and failing cases for every built-in rule (a test checks each rule has both). They are
 * data, in the same shape as `Policy.spec.tests`, so `steward policy test --builtin` runs them too.
 */

const role = (name: string, spec: Record<string, unknown>, annotations: Record<string, string> = {}): RuleTest['resource'] => ({
  kind: 'PostgresRole',
  metadata: { name, annotations },
  spec: { instance: 'main', ...spec },
});

const agent = (spec: Record<string, unknown> = {}, annotations: Record<string, string> = { 'steward.dev/owner': 'payments-team' }): RuleTest['resource'] =>
  role('billing_bot', { login: true, connectionLimit: 5, validUntil: '2030-01-01T00:00:00Z', comment: 'reconciles invoices', ...spec }, annotations);

const database = (spec: Record<string, unknown> = {}): RuleTest['resource'] => ({
  kind: 'PostgresDatabase',
  metadata: { name: 'billing' },
  spec: { instance: 'main', ...spec },
});

const grant = (spec: Record<string, unknown> = {}): RuleTest['resource'] => ({
  kind: 'PostgresGrant',
  metadata: { name: 'billing-read' },
  spec: { instance: 'main', grantee: 'billing_bot', privileges: ['SELECT'], on: { type: 'table', database: 'billing', schema: 'billing', all: true }, ...spec },
});

const defaults = (spec: Record<string, unknown> = {}): RuleTest['resource'] => ({
  kind: 'PostgresDefaultPrivileges',
  metadata: { name: 'future-tables' },
  spec: { instance: 'main', database: 'billing', owner: 'app_owner', objectType: 'tables', grantee: 'billing_bot', privileges: ['SELECT'], ...spec },
});

const roleAttributes = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  login: true,
  superuser: false,
  createdb: false,
  createrole: false,
  inherit: true,
  replication: false,
  bypassrls: false,
  connectionLimit: 5,
  validUntil: null,
  config: {},
  comment: null,
  ...over,
});

function elevatedCases(rule: string, attribute: string): readonly RuleTest[] {
  return [
    { name: `a role with ${attribute}`, rule, expect: 'violation', resource: role('ops', { [attribute]: true }) },
    { name: `a role without ${attribute}`, rule, expect: 'pass', resource: role('ops', {}) },
    { name: `${attribute}: false written out`, rule, expect: 'pass', resource: role('ops', { [attribute]: false }) },
  ];
}

export const BUILTIN_TESTS: readonly RuleTest[] = [
  ...elevatedCases('STW-PG-001', 'superuser'),
  ...elevatedCases('STW-PG-002', 'createrole'),
  ...elevatedCases('STW-PG-003', 'replication'),
  ...elevatedCases('STW-PG-004', 'bypassrls'),

  { name: 'a login role without a limit', rule: 'STW-PG-005', expect: 'violation', resource: agent({ connectionLimit: -1 }) },
  { name: 'a login role left at the default', rule: 'STW-PG-005', expect: 'violation', resource: role('bot', { login: true }) },
  { name: 'a login role with a limit', rule: 'STW-PG-005', expect: 'pass', resource: agent() },
  { name: 'a group role needs no limit', rule: 'STW-PG-005', expect: 'pass', resource: role('readers', {}) },

  { name: 'a password that never expires', rule: 'STW-PG-006', expect: 'violation', resource: agent({ validUntil: null }) },
  { name: 'an expiring password', rule: 'STW-PG-006', expect: 'pass', resource: agent() },
  {
    name: 'a declared rotation',
    rule: 'STW-PG-006',
    expect: 'pass',
    resource: agent({ validUntil: null }, { 'steward.dev/owner': 'payments-team', 'steward.dev/rotation': 'daily' }),
  },
  { name: 'a group role', rule: 'STW-PG-006', expect: 'pass', resource: role('readers', {}) },

  { name: 'a login role without an owner', rule: 'STW-PG-007', expect: 'violation', resource: agent({}, {}) },
  { name: 'an empty owner', rule: 'STW-PG-007', expect: 'violation', resource: agent({}, { 'steward.dev/owner': '' }) },
  { name: 'a login role with an owner', rule: 'STW-PG-007', expect: 'pass', resource: agent() },
  { name: 'a group role needs no owner', rule: 'STW-PG-007', expect: 'pass', resource: role('readers', {}) },

  { name: 'a login role without a comment', rule: 'STW-PG-008', expect: 'violation', resource: agent({ comment: null }) },
  { name: 'an empty comment', rule: 'STW-PG-008', expect: 'violation', resource: agent({ comment: '' }) },
  { name: 'a described login role', rule: 'STW-PG-008', expect: 'pass', resource: agent() },

  { name: 'an expired login', rule: 'STW-PG-009', expect: 'violation', resource: agent({ validUntil: '2020-01-01T00:00:00Z' }), now: '2026-01-01T00:00:00Z' },
  { name: 'a login valid until later', rule: 'STW-PG-009', expect: 'pass', resource: agent({ validUntil: '2030-01-01T00:00:00Z' }), now: '2026-01-01T00:00:00Z' },
  { name: 'no expiry at all', rule: 'STW-PG-009', expect: 'pass', resource: agent({ validUntil: null }) },

  {
    name: 'a literal password (as a scan would see it; the loader rejects it earlier)',
    rule: 'STW-PG-010',
    expect: 'violation',
    resource: { kind: 'PostgresInstance', metadata: { name: 'main' }, spec: { host: 'db', password: 'hunter2' } },
  },
  {
    name: 'a password from the environment',
    rule: 'STW-PG-010',
    expect: 'pass',
    resource: { kind: 'PostgresInstance', metadata: { name: 'main' }, spec: { host: 'db', password: { env: 'PGPASSWORD' } } },
  },
  {
    name: 'a password from a Secret',
    rule: 'STW-PG-010',
    expect: 'pass',
    resource: { kind: 'PostgresInstance', metadata: { name: 'main' }, spec: { host: 'db', password: { secretRef: 'admin-password' } } },
  },
  { name: 'no password at all', rule: 'STW-PG-010', expect: 'pass', resource: { kind: 'PostgresInstance', metadata: { name: 'main' }, spec: {} } },

  { name: 'a database without an owner', rule: 'STW-PG-020', expect: 'violation', resource: database() },
  { name: 'a database with an owner', rule: 'STW-PG-020', expect: 'pass', resource: database({ owner: 'billing_bot' }) },

  { name: 'a grant to PUBLIC', rule: 'STW-PG-040', expect: 'violation', resource: grant({ grantee: 'PUBLIC' }) },
  { name: 'a grant to public, lower case', rule: 'STW-PG-040', expect: 'violation', resource: grant({ grantee: 'public' }) },
  {
    name: 'default privileges for PUBLIC',
    rule: 'STW-PG-040',
    expect: 'violation',
    resource: defaults({ grantee: 'PUBLIC' }),
  },
  { name: 'a grant to a role', rule: 'STW-PG-040', expect: 'pass', resource: grant() },

  {
    name: 'ALL on a database',
    rule: 'STW-PG-041',
    expect: 'violation',
    resource: grant({ privileges: ['ALL'], on: { type: 'database', database: 'billing' } }),
  },
  {
    name: 'all privileges, any case',
    rule: 'STW-PG-041',
    expect: 'violation',
    resource: grant({ privileges: ['all privileges'], on: { type: 'database', database: 'billing' } }),
  },
  { name: 'CONNECT on a database', rule: 'STW-PG-041', expect: 'pass', resource: grant({ privileges: ['CONNECT'], on: { type: 'database', database: 'billing' } }) },
  { name: 'ALL on tables is another matter', rule: 'STW-PG-041', expect: 'pass', resource: grant({ privileges: ['ALL'] }) },

  { name: 'a re-grantable grant', rule: 'STW-PG-042', expect: 'violation', resource: grant({ withGrantOption: true }) },
  { name: 'a plain grant', rule: 'STW-PG-042', expect: 'pass', resource: grant() },
  { name: 're-grantable default privileges', rule: 'STW-PG-042', expect: 'violation', resource: defaults({ withGrantOption: true }) },
  { name: 'plain default privileges', rule: 'STW-PG-042', expect: 'pass', resource: defaults() },

  {
    name: 'dropping a database',
    rule: 'STW-PG-030',
    expect: 'violation',
    resource: database(),
    change: { action: 'delete', before: { connectionLimit: -1, comment: null }, after: null },
  },
  {
    name: 'replacing a database',
    rule: 'STW-PG-030',
    expect: 'violation',
    resource: database({ encoding: 'LATIN1' }),
    change: { action: 'replace', before: { encoding: 'UTF8' }, after: { encoding: 'LATIN1' } },
  },
  {
    name: 'updating a database in place',
    rule: 'STW-PG-030',
    expect: 'pass',
    resource: database({ connectionLimit: 10 }),
    change: { action: 'update', before: { connectionLimit: -1 }, after: { connectionLimit: 10 } },
  },
  { name: 'creating a database', rule: 'STW-PG-030', expect: 'pass', resource: database(), change: { action: 'create', before: null, after: { connectionLimit: -1 } } },

  {
    name: 'an update granting superuser',
    rule: 'STW-PG-031',
    expect: 'violation',
    resource: role('ops', { superuser: true }),
    change: { action: 'update', before: roleAttributes(), after: roleAttributes({ superuser: true }) },
  },
  {
    name: 'an update granting bypassrls',
    rule: 'STW-PG-031',
    expect: 'violation',
    resource: role('ops', { bypassrls: true }),
    change: { action: 'update', before: roleAttributes(), after: roleAttributes({ bypassrls: true }) },
  },
  {
    name: 'an update revoking superuser (reverting drift)',
    rule: 'STW-PG-031',
    expect: 'pass',
    resource: role('ops', {}),
    change: { action: 'update', before: roleAttributes({ superuser: true }), after: roleAttributes() },
  },
  {
    name: 'an update that keeps an existing superuser',
    rule: 'STW-PG-031',
    expect: 'pass',
    resource: role('ops', { superuser: true, connectionLimit: 3 }),
    change: { action: 'update', before: roleAttributes({ superuser: true }), after: roleAttributes({ superuser: true, connectionLimit: 3 }) },
  },
  {
    name: 'creating a superuser (STW-PG-001 covers it)',
    rule: 'STW-PG-031',
    expect: 'pass',
    resource: role('ops', { superuser: true }),
    change: { action: 'create', before: null, after: roleAttributes({ superuser: true }) },
  },
  { name: 'deleting a role', rule: 'STW-PG-031', expect: 'pass', resource: role('ops', {}), change: { action: 'delete', before: roleAttributes(), after: null } },
];
