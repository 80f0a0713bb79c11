import type { Rule } from '../rule.js';

export const DATABASE_RULES: readonly Rule[] = [
  {
    id: 'STW-PG-020',
    title: 'Databases declare their owner',
    severity: 'low',
    match: ['PostgresDatabase'],
    condition: '!has(resource.spec.owner)',
    message: 'database {{ resource.metadata.name }} declares no owner, so whoever created it owns it',
    enforcement: 'warn',
    remediation: 'set owner to the role that should own the database (a PostgresRole of the manifests)',
    compliance: ['SOC 2 CC6.1', 'CIS PostgreSQL 4.3'],
  },
];
