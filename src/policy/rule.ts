import type { SourceLocation } from '../core/index.js';

export type RuleSeverity = 'critical' | 'high' | 'medium' | 'low' | 'info';

/** `deny` blocks (plan/apply exit 1, scan fails), `warn` is reported, `audit` is only recorded. */
export type Enforcement = 'deny' | 'warn' | 'audit';

/**
 * A policy rule as plain data. `condition` is a CEL expression that is TRUE WHEN THE RESOURCE
 * VIOLATES the rule; it sees `resource` (and, for plan-time rules, `change`). `message` may
 * interpolate CEL expressions written as `{{ resource.name }}`.
 */
export interface Rule {
  readonly id: string;
  readonly title: string;
  readonly severity: RuleSeverity;
  /** Resource types this rule applies to: Steward kinds (`PostgresRole`) or IaC types (`aws_s3_bucket`). */
  readonly match: readonly string[];
  readonly condition: string;
  readonly message: string;
  readonly enforcement: Enforcement;
  readonly remediation: string;
  /** Compliance references, e.g. `CIS PostgreSQL 4.3`, `SOC 2 CC6.1`, `PCI DSS 7.2`. */
  readonly compliance: readonly string[];
  /** Checkov check ids this rule claims to cover (measured against Checkov's fixtures). */
  readonly checkov?: readonly string[];
  /** Where the rule was written, for diagnostics; absent for built-in rules defined in code. */
  readonly source?: SourceLocation;
  /** Address of the Policy manifest declaring the rule; absent for built-in rules. */
  readonly policy?: string;
}

/** A resource as rules see it, whatever it came from (Steward manifest, Terraform, CloudFormation, Kubernetes). */
export interface PolicyResource {
  /** Steward kind or IaC resource type, matched against `Rule.match`. */
  readonly type: string;
  readonly name: string;
  /** Exposed to CEL as `resource` (a JSON-like object). */
  readonly resource: Readonly<Record<string, unknown>>;
  readonly location?: SourceLocation;
  /** Line of each attribute path (dot-joined, e.g. `spec.superuser`), when known. */
  readonly attributeLines?: Readonly<Record<string, number>>;
}

export interface Finding {
  readonly ruleId: string;
  readonly title: string;
  readonly severity: RuleSeverity;
  readonly enforcement: Enforcement;
  readonly message: string;
  readonly remediation: string;
  readonly compliance: readonly string[];
  readonly resourceType: string;
  readonly resourceName: string;
  readonly location?: SourceLocation;
}
