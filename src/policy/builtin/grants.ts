import type { Rule } from '../rule.js';

export const GRANT_RULES: readonly Rule[] = [
  {
    id: 'STW-PG-040',
    title: 'Nothing is granted to PUBLIC',
    severity: 'high',
    match: ['PostgresGrant', 'PostgresDefaultPrivileges'],
    condition: 'resource.spec.grantee.upperAscii() == "PUBLIC"',
    message: '{{ resource.kind }} {{ resource.metadata.name }} grants {{ resource.spec.privileges.join(", ") }} to PUBLIC, that is to every role of the server',
    enforcement: 'deny',
    remediation: 'grant to a group role (e.g. app_readers) and make the roles that need it members',
    compliance: ['CIS PostgreSQL 4.7', 'SOC 2 CC6.1', 'PCI DSS 7.2', 'HIPAA 164.312(a)'],
  },
  {
    id: 'STW-PG-041',
    title: 'No ALL PRIVILEGES on a database',
    severity: 'high',
    match: ['PostgresGrant'],
    condition: 'resource.spec.on.type == "database" && resource.spec.privileges.exists(p, p.upperAscii() == "ALL" || p.upperAscii() == "ALL PRIVILEGES")',
    message: 'grant {{ resource.metadata.name }} gives {{ resource.spec.grantee }} ALL PRIVILEGES on database {{ resource.spec.on.database }}',
    enforcement: 'deny',
    remediation: 'list the privileges needed (usually CONNECT, sometimes TEMPORARY); CREATE on a database is rarely needed by an agent',
    compliance: ['SOC 2 CC6.3', 'PCI DSS 7.2'],
  },
  {
    id: 'STW-PG-042',
    title: 'Grants are not re-grantable',
    severity: 'medium',
    match: ['PostgresGrant', 'PostgresDefaultPrivileges'],
    condition: 'resource.spec.withGrantOption',
    message: '{{ resource.kind }} {{ resource.metadata.name }} lets {{ resource.spec.grantee }} pass its privileges on to any other role',
    enforcement: 'warn',
    remediation: 'set withGrantOption: false; let Steward manage who else gets the privileges',
    compliance: ['SOC 2 CC6.3'],
  },
];
