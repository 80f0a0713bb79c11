import type { ChangeAction, Diagnostic, SourceLocation } from '../core/index.js';
import type { Enforcement, RuleSeverity } from './rule.js';
import type { Waiver } from './waivers.js';

/**
 * What became of one violation: `denied` stops plan and apply, `warned` is shown, `audited` is
 * only recorded, `waived` was a violation a live waiver exempts (recorded, never blocking).
 */
export type DecisionOutcome = 'denied' | 'warned' | 'audited' | 'waived';

export interface PolicyDecision {
  readonly ruleId: string;
  readonly title: string;
  readonly severity: RuleSeverity;
  readonly enforcement: Enforcement;
  readonly outcome: DecisionOutcome;
  readonly message: string;
  readonly remediation: string;
  readonly compliance: readonly string[];
  /** `Kind/name` of the resource concerned. */
  readonly address: string;
  /** The planned action on it. */
  readonly action: Exclude<ChangeAction, 'no-op'> | 'use';
  /** Where the resource is declared; absent for a delete (its manifest is gone). */
  readonly location?: SourceLocation;
  /** Where the rule is declared; absent for built-in rules. */
  readonly ruleSource?: SourceLocation;
  readonly waivedBy?: Pick<Waiver, 'address' | 'owner' | 'reason' | 'expires'>;
}

export interface PolicyEvaluation {
  /** Every violation, in plan order. */
  readonly decisions: readonly PolicyDecision[];
  /** The decisions with outcome `denied`: when any, nothing may be applied. */
  readonly denied: readonly PolicyDecision[];
  /** Broken rules (errors, which also stop the run) and expired or unused waivers (warnings). */
  readonly diagnostics: readonly Diagnostic[];
  readonly expiredWaivers: readonly Waiver[];
}
