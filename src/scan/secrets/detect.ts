import type { ScanFinding } from '../types.js';
import { secretAssignments } from './entropy.js';
import { maskSecret } from './mask.js';
import { findTokens } from './secretlint.js';

/** Rule ids of secret findings (listed in docs/scanning.md and in SARIF's rule table). */
export const SECRET_RULES = {
  token: {
    id: 'STW-SECRET-TOKEN',
    title: 'Hard-coded credential in a known token format',
    remediation: 'Remove the credential from the file, revoke it, and pass it through a secret store or an environment variable reference.',
  },
  assignment: {
    id: 'STW-SECRET-ASSIGNMENT',
    title: 'High-entropy literal assigned to a secret-looking name',
    remediation: 'Reference the value from a secret store or variable instead of writing it in the file.',
  },
} as const;

function describeRule(rule: string): string {
  return rule.replace(/^@secretlint\/secretlint-rule-/, '');
}

/**
 * Secrets in any text file: high-confidence formats through secretlint, plus literals assigned to
 * secret-looking names above the entropy threshold. A line already reported as a token is not
 * reported again by the entropy check. Findings say where and what kind, never the value.
 */
export async function detectSecrets(file: string, text: string): Promise<readonly ScanFinding[]> {
  const findings: ScanFinding[] = [];
  const tokenLines = new Set<number>();
  for (const token of await findTokens(file, text)) {
    tokenLines.add(token.line);
    findings.push({
      ruleId: SECRET_RULES.token.id,
      title: SECRET_RULES.token.title,
      severity: 'critical',
      message: `${describeRule(token.rule)} credential found ${maskSecret('x'.repeat(token.length))}`,
      remediation: SECRET_RULES.token.remediation,
      compliance: ['CIS AWS 1.4', 'SOC 2 CC6.1'],
      checkov: [],
      resourceType: 'file',
      resourceName: file,
      location: { file, line: token.line, column: token.column },
    });
  }
  text.split(/\r?\n/).forEach((line, index) => {
    if (tokenLines.has(index + 1) || line.length > 4000) return;
    for (const assignment of secretAssignments(line)) {
      findings.push({
        ruleId: SECRET_RULES.assignment.id,
        title: SECRET_RULES.assignment.title,
        severity: 'high',
        message: `"${assignment.name}" is assigned a literal that looks like a secret ${maskSecret(assignment.value)}`,
        remediation: SECRET_RULES.assignment.remediation,
        compliance: ['SOC 2 CC6.1'],
        checkov: [],
        resourceType: 'file',
        resourceName: file,
        location: { file, line: index + 1, column: assignment.column + 1 },
      });
    }
  });
  return findings;
}
