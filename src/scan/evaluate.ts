import { compileRules, evaluateRules, type CompiledRule, type PolicyResource } from '../policy/index.js';
import { relateResources } from './related.js';
import type { ScanFinding, ScannedResource, ScanRule } from './types.js';

export interface CompiledScanRules {
  readonly compiled: readonly CompiledRule[];
  readonly byId: ReadonlyMap<string, ScanRule>;
}

/** Compiles scan rules once; a built-in rule that does not compile is a programming error and throws. */
export function compileScanRules(rules: readonly ScanRule[]): CompiledScanRules {
  const { rules: compiled, diagnostics } = compileRules(rules);
  if (diagnostics.length > 0) throw new Error(`scan rules do not compile: ${diagnostics.map((d) => d.summary).join('; ')}`);
  return { compiled, byId: new Map(rules.map((r) => [r.id, r])) };
}

const key = (type: string, name: string, file: string | undefined, line: number | undefined): string => `${type}\0${name}\0${file ?? ''}\0${line ?? 0}`;

/**
 * Runs the rules over the resources through the policy evaluator (CEL via `evaluateRules`), with
 * `related` bound (see related.ts), and places each finding on the line of the rule's attribute
 * when the resource knows it. A rule that fails at runtime on a resource becomes an `info` finding
 * `STW-SCAN-RULE-ERROR` on that resource: reported, never a silent pass.
 */
export function evaluateScanRules(rules: CompiledScanRules, resources: readonly ScannedResource[]): readonly ScanFinding[] {
  const related = relateResources(resources);
  const byKey = new Map(resources.map((r) => [key(r.type, r.name, r.location.file, r.location.line), r]));
  const result = evaluateRules(rules.compiled, resources, (r: PolicyResource) => ({ related: related.get(r as ScannedResource) ?? {} }));
  const findings: ScanFinding[] = result.findings.map((f) => {
    const rule = rules.byId.get(f.ruleId);
    const resource = byKey.get(key(f.resourceType, f.resourceName, f.location?.file, f.location?.line));
    const location = resource?.location ?? f.location ?? { file: '', line: 1, column: 1 };
    const attributeLine = rule?.attribute === undefined ? undefined : resource?.attributeLines?.[rule.attribute];
    return {
      ruleId: f.ruleId,
      title: f.title,
      severity: f.severity,
      message: f.message,
      remediation: f.remediation,
      compliance: f.compliance,
      checkov: rule?.checkov ?? [],
      resourceType: f.resourceType,
      resourceName: f.resourceName,
      location: attributeLine === undefined ? location : { file: location.file, line: attributeLine, column: 1 },
      ...(attributeLine === undefined ? {} : { attribute: rule?.attribute, resourceLine: location.line }),
    };
  });
  for (const d of result.diagnostics) {
    const [type, ...rest] = (d.address ?? '').split('/');
    const name = rest.join('/');
    const resource = resources.find((r) => r.type === type && r.name === name);
    findings.push({
      ruleId: 'STW-SCAN-RULE-ERROR',
      title: 'A rule could not be evaluated',
      severity: 'info',
      message: d.summary,
      remediation: d.hint ?? '',
      compliance: [],
      checkov: [],
      resourceType: type ?? '',
      resourceName: name,
      location: resource?.location ?? { file: '', line: 1, column: 1 },
    });
  }
  return findings;
}
