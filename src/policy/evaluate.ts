import type { Diagnostic } from '../core/index.js';
import { compileCel, evaluateCel, type CompiledCel } from './cel.js';
import type { Finding, PolicyResource, Rule } from './rule.js';

/** A rule whose condition and message templates have been parsed. */
export interface CompiledRule {
  readonly rule: Rule;
  readonly condition: CompiledCel;
  /** The message split into literal text and `{{ expression }}` parts. */
  readonly message: readonly (string | CompiledCel)[];
}

const TEMPLATE = /\{\{\s*(.+?)\s*\}\}/g;

function ruleDiagnostic(rule: Rule, summary: string, hint: string, address?: string): Diagnostic {
  return { severity: 'error', code: 'invalid-value', summary: `policy rule ${rule.id}: ${summary}`, hint, location: rule.source, address };
}

/**
 * Parses every rule once. A rule that does not compile is a diagnostic naming the rule and where
 * it was written, and is left out — it never passes silently, because the diagnostic is an error.
 */
export function compileRules(rules: readonly Rule[]): { readonly rules: readonly CompiledRule[]; readonly diagnostics: readonly Diagnostic[] } {
  const compiled: CompiledRule[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const rule of rules) {
    const condition = compileCel(rule.condition);
    if (!condition.ok) {
      diagnostics.push(ruleDiagnostic(rule, `its condition does not compile: ${condition.message}`, 'fix the CEL expression in `condition`'));
      continue;
    }
    const message: (string | CompiledCel)[] = [];
    let last = 0;
    let broken = false;
    for (const match of rule.message.matchAll(TEMPLATE)) {
      message.push(rule.message.slice(last, match.index));
      const part = compileCel(match[1] ?? '');
      if (!part.ok) {
        diagnostics.push(ruleDiagnostic(rule, `its message template {{ ${match[1]} }} does not compile: ${part.message}`, 'fix the CEL expression inside {{ }}'));
        broken = true;
        break;
      }
      message.push(part.expression);
      last = (match.index ?? 0) + match[0].length;
    }
    if (broken) continue;
    message.push(rule.message.slice(last));
    compiled.push({ rule, condition: condition.expression, message });
  }
  return { rules: compiled, diagnostics };
}

function render(parts: readonly (string | CompiledCel)[], bindings: Readonly<Record<string, unknown>>): string {
  return parts
    .map((part) => {
      if (typeof part === 'string') return part;
      const result = evaluateCel(part, bindings);
      return result.ok ? String(result.value) : '(?)';
    })
    .join('');
}

/**
 * The rules that match each resource type, built once per list of rules: the policy gate evaluates
 * its rules one subject at a time, and an apply of 11,100 changes rebuilt this index as often.
 */
const INDEXES = new WeakMap<readonly CompiledRule[], ReadonlyMap<string, readonly CompiledRule[]>>();
function rulesByType(rules: readonly CompiledRule[]): ReadonlyMap<string, readonly CompiledRule[]> {
  let index = INDEXES.get(rules);
  if (index === undefined) {
    const byType = new Map<string, CompiledRule[]>();
    for (const compiled of rules) {
      for (const type of compiled.rule.match) {
        const list = byType.get(type);
        if (list === undefined) byType.set(type, [compiled]);
        else list.push(compiled);
      }
    }
    INDEXES.set(rules, (index = byType));
  }
  return index;
}

/**
 * Evaluates every matching rule against every resource. A condition that errors at runtime or does
 * not return a boolean is a diagnostic (never a silent pass).
 */
export function evaluateRules(
  rules: readonly CompiledRule[],
  resources: readonly PolicyResource[],
  extraBindings: (resource: PolicyResource) => Readonly<Record<string, unknown>> = () => ({}),
): { readonly findings: readonly Finding[]; readonly diagnostics: readonly Diagnostic[] } {
  const byType = rulesByType(rules);
  const findings: Finding[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const resource of resources) {
    const matching = byType.get(resource.type);
    if (!matching) continue;
    const bindings = { resource: resource.resource, ...extraBindings(resource) };
    for (const { rule, condition, message } of matching) {
      const result = evaluateCel(condition, bindings);
      if (!result.ok || typeof result.value !== 'boolean') {
        const why = result.ok ? `returned ${typeof result.value}, not a boolean` : `failed: ${result.message}`;
        diagnostics.push(ruleDiagnostic(rule, `evaluating it on ${resource.type}/${resource.name} ${why}`, 'guard optional fields with has(...) and make the condition a boolean', `${resource.type}/${resource.name}`));
        continue;
      }
      if (!result.value) continue;
      findings.push({
        ruleId: rule.id,
        title: rule.title,
        severity: rule.severity,
        enforcement: rule.enforcement,
        message: render(message, bindings),
        remediation: rule.remediation,
        compliance: rule.compliance,
        resourceType: resource.type,
        resourceName: resource.name,
        location: resource.location,
      });
    }
  }
  return { findings, diagnostics };
}
