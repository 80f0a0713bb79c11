import type { Rule } from '../rule.js';

export const INSTANCE_RULES: readonly Rule[] = [
  {
    // The schema already rejects a literal password; this rule keeps the guarantee when manifests
    // reach rules by another road (scans, future kinds) and documents it as policy.
    id: 'STW-PG-010',
    title: 'Connection passwords are references, never literals',
    severity: 'critical',
    match: ['PostgresInstance'],
    condition:
      'has(resource.spec.password) && !(type(resource.spec.password) == map && (has(resource.spec.password.env) || has(resource.spec.password.secretRef)))',
    message: 'instance {{ resource.metadata.name }} has a literal password in its manifest',
    enforcement: 'deny',
    remediation: 'write password: { secretRef: NAME } (a Secret set with steward secret set NAME) or { env: PGPASSWORD } (the value from the environment)',
    compliance: ['SOC 2 CC6.1', 'PCI DSS 8.3.1', 'HIPAA 164.312(a)'],
  },
];
