import type { DesiredResource, SourceLocation } from '../core/index.js';
import { POLICY_WAIVER, type PolicyWaiverSpec } from '../kinds/policy-waiver.js';

/** An exemption of some resources from one rule, until it expires. */
export interface Waiver {
  /** `PolicyWaiver/name`. */
  readonly address: string;
  readonly rule: string;
  /** `Kind/name` or `Kind/*`. */
  readonly resources: readonly string[];
  readonly reason: string;
  readonly owner: string;
  /** As written. */
  readonly expires: string;
  /** The first instant the waiver no longer applies. */
  readonly expiresAt: Date;
  readonly source: SourceLocation;
}

/** A date alone means the waiver stops at 00:00 UTC that day; a date-time is taken as written. */
export function expiryOf(expires: string): Date {
  return new Date(/^\d{4}-\d{2}-\d{2}$/.test(expires) ? `${expires}T00:00:00Z` : expires);
}

export function waiversOf(desired: readonly DesiredResource[]): readonly Waiver[] {
  return desired
    .filter((r) => r.kind === POLICY_WAIVER)
    .map((r) => {
      const spec = r.spec as PolicyWaiverSpec;
      return {
        address: r.address,
        rule: spec.rule,
        resources: spec.resources,
        reason: spec.reason,
        owner: spec.owner,
        expires: spec.expires,
        expiresAt: expiryOf(spec.expires),
        source: r.source,
      };
    });
}

export function isExpired(waiver: Waiver, now: Date): boolean {
  return now.getTime() >= waiver.expiresAt.getTime();
}

export function covers(waiver: Waiver, ruleId: string, address: string): boolean {
  if (waiver.rule !== ruleId) return false;
  const kind = address.slice(0, address.indexOf('/'));
  return waiver.resources.some((pattern) => pattern === address || pattern === `${kind}/*`);
}
