import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { compileScanRules } from '../evaluate.js';
import { scanPath } from '../scan.js';
import type { ScanRule } from '../types.js';

/** One upstream Checkov test, as `checkov_terraform_resource_index.json` records it. */
export interface CheckovRecord {
  readonly checks: readonly { readonly id: string; readonly name: string | null }[];
  readonly fixture: string | null;
  readonly passing_resources: readonly string[] | null;
  readonly failing_resources: readonly string[] | null;
}

/** How one claimed Checkov check compares with Checkov's own fixture expectations. */
export interface CheckAgreement {
  readonly check: string;
  readonly rules: readonly string[];
  /** False when Checkov ships no resource fixtures for the check: nothing to compare. */
  readonly measured: boolean;
  /** Failing and passing sets both match (vacuously true when not measured). */
  readonly agrees: boolean;
  /** Resources Checkov fails that the rules did not flag. */
  readonly missed: readonly string[];
  /** Resources Checkov passes that the rules flagged. */
  readonly extra: readonly string[];
}

export async function loadCheckovIndex(corpus: string): Promise<readonly CheckovRecord[]> {
  const text = await readFile(path.join(corpus, 'checkov-terraform', 'checkov_terraform_resource_index.json'), 'utf8');
  return JSON.parse(text) as CheckovRecord[];
}

/** Every Checkov id some rule claims, with the rules claiming it. */
export function claimedChecks(rules: readonly ScanRule[]): ReadonlyMap<string, readonly ScanRule[]> {
  const claims = new Map<string, ScanRule[]>();
  for (const rule of rules) for (const id of rule.checkov ?? []) claims.set(id, [...(claims.get(id) ?? []), rule]);
  return claims;
}

/**
 * Scans each fixture folder of every claimed check with only the rules claiming it, and compares
 * the flagged resource addresses with Checkov's failing and passing lists. Only Checkov's fixtures
 * and expectations are used, never its check code.
 */
export async function measureAgreement(corpus: string, rules: readonly ScanRule[]): Promise<readonly CheckAgreement[]> {
  const index = await loadCheckovIndex(corpus);
  const out: CheckAgreement[] = [];
  for (const [check, claiming] of claimedChecks(rules)) {
    const records = index.filter((r) => r.fixture !== null && r.checks.some((c) => c.id === check) && ((r.failing_resources?.length ?? 0) > 0 || (r.passing_resources?.length ?? 0) > 0));
    if (records.length === 0) {
      out.push({ check, rules: claiming.map((r) => r.id), measured: false, agrees: true, missed: [], extra: [] });
      continue;
    }
    const compiled = compileScanRules(claiming);
    const missed: string[] = [];
    const extra: string[] = [];
    for (const record of records) {
      const dir = path.join(corpus, 'checkov-terraform', record.fixture ?? '');
      const report = await scanPath(dir, { rules: claiming, secrets: false, compiled });
      const flagged = new Set(report.findings.filter((f) => claiming.some((r) => r.id === f.ruleId)).map((f) => f.resourceName));
      missed.push(...(record.failing_resources ?? []).filter((r) => !flagged.has(r)));
      extra.push(...(record.passing_resources ?? []).filter((r) => flagged.has(r)));
    }
    out.push({ check, rules: claiming.map((r) => r.id), measured: true, agrees: missed.length === 0 && extra.length === 0, missed, extra });
  }
  return out.sort((a, b) => (a.check < b.check ? -1 : 1));
}
