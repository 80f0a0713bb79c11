import type { Rule } from '../rule.js';

/** Rules over planned changes (`change`), evaluated at plan and apply time. */
export const CHANGE_RULES: readonly Rule[] = [
  {
    // `warn` by default: removing an unprotected resource from the manifests deletes it, which is
    // Steward's documented behaviour. A project makes it blocking with `enforce: {STW-PG-030: deny}`.
    id: 'STW-PG-030',
    title: 'Databases are not dropped by a plan',
    severity: 'high',
    match: ['PostgresDatabase'],
    condition: 'change.action == "delete" || change.action == "replace"',
    message: '{{ change.address }} would be {{ change.action == "delete" ? "dropped" : "dropped and created again" }}, losing all its data',
    enforcement: 'warn',
    remediation: 'restore the manifest (or undo the change that forces replacement); to drop it on purpose, declare a PolicyWaiver for it with an expiry',
    compliance: ['SOC 2 CC7.1', 'SOC 2 A1.2'],
  },
  {
    id: 'STW-PG-031',
    title: 'Updates do not escalate a role',
    severity: 'critical',
    match: ['PostgresRole'],
    condition:
      '(change.action == "update" || change.action == "replace") && ["superuser", "createrole", "replication", "bypassrls"].exists(a, a in change.after && change.after[a] == true && !(a in change.before && change.before[a] == true))',
    message:
      'this change gives {{ change.address }} {{ ["superuser", "createrole", "replication", "bypassrls"].filter(a, a in change.after && change.after[a] == true && !(a in change.before && change.before[a] == true)).join(", ") }}',
    enforcement: 'deny',
    remediation: 'grant the specific privileges needed instead; an escalation that must happen needs a PolicyWaiver naming the role, its owner and an expiry',
    compliance: ['SOC 2 CC6.3', 'PCI DSS 7.2', 'HIPAA 164.312(a)'],
  },
];
