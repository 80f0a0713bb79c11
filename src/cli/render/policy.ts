import type { SourceLocation } from '../../core/index.js';
import type { PolicyReport } from '../../app/index.js';
import type { PolicyDecision } from '../../policy/index.js';
import type { Colors } from '../output.js';

const where = (l: SourceLocation | undefined): string => (l ? `${l.file}:${l.line}` : '(no manifest)');

function label(d: PolicyDecision, color: Colors): string {
  switch (d.outcome) {
    case 'denied':
      return color.red(color.bold('DENY  '));
    case 'warned':
      return color.yellow(color.bold('WARN  '));
    case 'waived':
      return color.cyan(color.bold('WAIVED'));
    case 'audited':
      return color.dim('AUDIT ');
  }
}

function block(d: PolicyDecision, color: Colors): string {
  const lines = [`  ${label(d, color)} ${color.bold(d.ruleId)} [${d.severity}] ${d.address} (${where(d.location)})`, `         ${d.message}`];
  if (d.waivedBy) lines.push(`         ${color.cyan('waived by')} ${d.waivedBy.address} until ${d.waivedBy.expires} (owner ${d.waivedBy.owner}): ${d.waivedBy.reason}`);
  else if (d.remediation) lines.push(`         ${color.cyan('fix:')} ${d.remediation}`);
  if (d.ruleSource) lines.push(`         ${color.dim(`rule declared at ${where(d.ruleSource)}`)}`);
  return lines.join('\n');
}

/**
 * The policy section of the human plan: denials, warnings and waived violations with rule,
 * severity, resource, file:line, message and remediation. Audit-only decisions are counted, not
 * listed (they are recorded in the audit log during apply).
 */
export function renderPolicy(report: PolicyReport, color: Colors): string {
  const shown = report.decisions.filter((d) => d.outcome !== 'audited');
  const count = (o: PolicyDecision['outcome']): number => report.decisions.filter((d) => d.outcome === o).length;
  const lines: string[] = [];
  const totals = `${count('denied')} denied, ${count('warned')} warned, ${count('waived')} waived, ${count('audited')} audit-only`;
  lines.push(`${color.bold('Policy:')} ${report.rules} rules in force; ${totals}.`);
  for (const d of report.disabled) lines.push(`  ${color.dim('#')} ${d.ruleId} is disabled by ${d.by} (${where(d.location)})`);
  for (const o of report.overrides) lines.push(`  ${color.dim('#')} ${o.ruleId} is enforced as ${o.to} (not ${o.from}) by ${o.by} (${where(o.location)})`);
  for (const d of [...shown].sort((a, b) => order(a) - order(b))) lines.push(block(d, color));
  if (report.denied.length > 0) {
    lines.push(color.red(color.bold(`Policy denies this plan: ${report.denied.length} violation${report.denied.length === 1 ? '' : 's'} must be fixed or waived before it can be applied.`)));
  }
  return lines.join('\n');
}

const RANK: Readonly<Record<PolicyDecision['outcome'], number>> = { denied: 0, warned: 1, waived: 2, audited: 3 };
const order = (d: PolicyDecision): number => RANK[d.outcome];

/** Whether the policy section has anything worth printing in a human plan. */
export function policyWorthShowing(report: PolicyReport): boolean {
  return report.decisions.length > 0 || report.disabled.length > 0 || report.overrides.length > 0;
}
