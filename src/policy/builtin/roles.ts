import type { Rule } from '../rule.js';

const ROLE = ['PostgresRole'];
const WAIVE = 'if it is truly needed, declare a PolicyWaiver for this role with a reason, an owner and an expiry';

/** Attributes that let a role escape the permission system; agents and services should never hold them. */
function elevated(id: string, attribute: string, what: string, severity: Rule['severity'], compliance: readonly string[]): Rule {
  return {
    id,
    title: `Roles do not have ${attribute.toUpperCase()}`,
    severity,
    match: ROLE,
    condition: `resource.spec.${attribute}`,
    message: `role {{ resource.metadata.name }} has ${attribute.toUpperCase()}, which ${what}`,
    enforcement: 'deny',
    remediation: `set ${attribute}: false and grant only the privileges the role needs; ${WAIVE}`,
    compliance,
  };
}

export const ROLE_RULES: readonly Rule[] = [
  elevated('STW-PG-001', 'superuser', 'bypasses every permission check on the server', 'critical', [
    'CIS PostgreSQL 4.3',
    'SOC 2 CC6.1',
    'SOC 2 CC6.3',
    'PCI DSS 7.2',
    'HIPAA 164.312(a)',
  ]),
  elevated('STW-PG-002', 'createrole', 'lets it create roles and grant itself their memberships', 'high', ['CIS PostgreSQL 4.3', 'SOC 2 CC6.3', 'PCI DSS 7.2']),
  elevated('STW-PG-003', 'replication', 'lets it stream every database of the server', 'high', ['CIS PostgreSQL 4.3', 'SOC 2 CC6.1', 'PCI DSS 7.2']),
  elevated('STW-PG-004', 'bypassrls', 'ignores every row-level security policy', 'high', ['CIS PostgreSQL 4.3', 'SOC 2 CC6.1', 'HIPAA 164.312(a)']),
  {
    id: 'STW-PG-005',
    title: 'Login roles have a connection limit',
    severity: 'medium',
    match: ROLE,
    condition: 'resource.spec.login && resource.spec.connectionLimit < 0',
    message: 'login role {{ resource.metadata.name }} has no connection limit, so a runaway client can exhaust the server',
    enforcement: 'deny',
    remediation: 'set connectionLimit to the most connections the client needs (e.g. its pool size)',
    compliance: ['SOC 2 A1.1'],
  },
  {
    id: 'STW-PG-006',
    title: 'Login roles have expiring or rotated credentials',
    severity: 'medium',
    match: ROLE,
    condition: 'resource.spec.login && resource.spec.validUntil == null && !("steward.dev/rotation" in resource.metadata.annotations)',
    message: 'login role {{ resource.metadata.name }} has a password that never expires and no rotation declared',
    enforcement: 'warn',
    remediation: 'set validUntil, or declare the rotation schedule in the annotation steward.dev/rotation (e.g. "daily")',
    compliance: ['PCI DSS 8.3.9', 'SOC 2 CC6.1', 'HIPAA 164.308(a)(5)'],
  },
  {
    id: 'STW-PG-007',
    title: 'Login roles name an owner',
    severity: 'low',
    match: ROLE,
    condition:
      'resource.spec.login && (!("steward.dev/owner" in resource.metadata.annotations) || size(resource.metadata.annotations["steward.dev/owner"]) == 0)',
    message: 'login role {{ resource.metadata.name }} has no owner: nobody answers for what it does',
    enforcement: 'warn',
    remediation: 'add metadata.annotations["steward.dev/owner"] with the team or person responsible (e.g. payments-team@example.com)',
    compliance: ['SOC 2 CC6.2', 'SOC 2 CC6.3'],
  },
  {
    id: 'STW-PG-008',
    title: 'Login roles are described',
    severity: 'info',
    match: ROLE,
    condition: 'resource.spec.login && (resource.spec.comment == null || size(resource.spec.comment) == 0)',
    message: 'login role {{ resource.metadata.name }} has no comment saying what uses it',
    enforcement: 'warn',
    remediation: 'set comment to what the role is for (e.g. "reconciles invoices nightly")',
    compliance: ['SOC 2 CC6.2'],
  },
  {
    id: 'STW-PG-009',
    title: 'Login roles are not already expired',
    severity: 'low',
    match: ROLE,
    condition: 'resource.spec.login && resource.spec.validUntil != null && timestamp(resource.spec.validUntil) < now',
    message: 'login role {{ resource.metadata.name }} expired at {{ resource.spec.validUntil }}: its logins will fail',
    enforcement: 'warn',
    remediation: 'move validUntil into the future, or remove login: true if the role should no longer connect',
    compliance: ['SOC 2 CC6.2'],
  },
];
