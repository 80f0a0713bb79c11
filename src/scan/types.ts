import type { SourceLocation } from '../core/index.js';
import type { PolicyResource, Rule, RuleSeverity } from '../policy/index.js';

/** What a file was read as. `text` files are only searched for secrets. */
export type SourceKind = 'terraform' | 'cloudformation' | 'kubernetes' | 'steward' | 'text';

/**
 * A built-in scanning rule: a policy {@link Rule} (CEL condition TRUE ON VIOLATION) plus the
 * attribute it is about, so a finding can point at that attribute's line rather than the block.
 */
export interface ScanRule extends Rule {
  /**
   * Dot-joined attribute path inside the resource (array indices left out, e.g. `ingress.cidr_blocks`)
   * whose line the finding reports; the resource's own line when absent or not found.
   */
  readonly attribute?: string;
  /** Fixture file under `rules/fixtures/` (name relative to it): resources named `pass*` must not match, `fail*` must. */
  readonly fixture: string;
}

/** A resource with where it came from, as every parser hands it to the evaluator. */
export interface ScannedResource extends PolicyResource {
  readonly source: SourceKind;
  /** Where the resource starts; always known for scanned files. */
  readonly location: SourceLocation;
}

/** A suppression honoured for a finding: the inline comment and its reason. */
export interface Suppression {
  readonly reason: string;
  readonly location: SourceLocation;
}

/** One problem found, always with a file and line. Secrets never appear in it: they are masked. */
export interface ScanFinding {
  readonly ruleId: string;
  readonly title: string;
  readonly severity: RuleSeverity;
  readonly message: string;
  readonly remediation: string;
  readonly compliance: readonly string[];
  readonly checkov: readonly string[];
  /** `<type>` and `<name>` of the resource; for secrets and parse failures, `file` and the file name. */
  readonly resourceType: string;
  readonly resourceName: string;
  readonly location: SourceLocation;
  /** The attribute path reported, when the finding is about one. */
  readonly attribute?: string;
  /** Line where the resource starts, when the finding is on one of its attributes (suppressions there count too). */
  readonly resourceLine?: number;
  /** Present when an inline `steward:ignore` comment with a reason covers this finding. */
  readonly suppression?: Suppression;
}

/** The parsed content of one file. */
export interface ParsedSource {
  readonly file: string;
  readonly kind: SourceKind;
  readonly resources: readonly ScannedResource[];
  /** Findings the parser itself raises (e.g. "could not parse"). */
  readonly findings: readonly ScanFinding[];
}

export interface ScanReport {
  /** Files read, as displayed (relative to the working directory when inside it). */
  readonly files: readonly { readonly file: string; readonly kind: SourceKind }[];
  readonly resources: number;
  readonly rules: number;
  /** Sorted by file, line, column and rule; suppressed ones included and marked. */
  readonly findings: readonly ScanFinding[];
  readonly durationMs: number;
}
