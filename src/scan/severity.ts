import type { RuleSeverity } from '../policy/index.js';
import type { ScanFinding } from './types.js';

/** Most to least severe. */
export const SEVERITIES: readonly RuleSeverity[] = ['critical', 'high', 'medium', 'low', 'info'];

const RANK: Readonly<Record<RuleSeverity, number>> = { critical: 4, high: 3, medium: 2, low: 1, info: 0 };

export function isSeverity(value: string): value is RuleSeverity {
  return (SEVERITIES as readonly string[]).includes(value);
}

export function atLeast(severity: RuleSeverity, threshold: RuleSeverity): boolean {
  return RANK[severity] >= RANK[threshold];
}

/** The findings that fail a scan: not suppressed, and at or above the threshold. */
export function failingFindings(findings: readonly ScanFinding[], threshold: RuleSeverity): readonly ScanFinding[] {
  return findings.filter((f) => f.suppression === undefined && atLeast(f.severity, threshold));
}
