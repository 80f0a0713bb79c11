import type { Diagnostic, KindDefinition } from '../core/index.js';
import { KINDS } from '../kinds/index.js';
import type { CompiledCel } from './cel.js';
import { compileRules, type CompiledRule } from './evaluate.js';
import { referencesOf } from './references.js';
import type { Rule } from './rule.js';
import { CEL_TYPE_NAMES, RULE_VARIABLES, unknownField } from './shapes.js';

/** A compiled rule that passed the static checks, with what it needs bound. */
export interface PreparedRule extends CompiledRule {
  /** The rule reads `change`: it is evaluated once per planned change (deletes included). */
  readonly usesChange: boolean;
}

export interface PreparedRules {
  readonly rules: readonly PreparedRule[];
  /** Errors: each rule named here is left out, and the caller must not treat the result as a pass. */
  readonly diagnostics: readonly Diagnostic[];
}

function problem(rule: Rule, summary: string, hint: string): Diagnostic {
  return { severity: 'error', code: 'invalid-value', summary: `policy rule ${rule.id}: ${summary}`, hint, location: rule.source, address: rule.policy };
}

function staticProblems(compiled: CompiledRule, kinds: readonly KindDefinition[]): readonly Diagnostic[] {
  const { rule } = compiled;
  const parts: readonly (readonly [string, CompiledCel])[] = [
    ['condition', compiled.condition],
    ...compiled.message.filter((p): p is CompiledCel => typeof p !== 'string').map((p) => ['message', p] as const),
  ];
  const out: Diagnostic[] = [];
  for (const [where, expression] of parts) {
    const refs = referencesOf(expression.ast);
    for (const variable of refs.variables) {
      if (RULE_VARIABLES.includes(variable) || CEL_TYPE_NAMES.has(variable)) continue;
      out.push(problem(rule, `its ${where} reads the unknown variable '${variable}'`, `rules see only ${RULE_VARIABLES.join(', ')}; e.g. resource.spec.login`));
    }
    for (const field of refs.fields) {
      if (!RULE_VARIABLES.includes(field.root)) continue;
      const unknown = unknownField(kinds, field.root, field.path);
      if (unknown === undefined) continue;
      const fix = unknown.suggestion !== undefined ? `did you mean '${unknown.suggestion}'? ` : '';
      out.push(
        problem(
          rule,
          `its ${where} reads ${unknown.path}, which ${unknown.kinds.join(' and ')} ${unknown.kinds.length === 1 ? 'does' : 'do'} not have`,
          `${fix}known fields there: ${unknown.known.join(', ') || '(none)'}; guard optional fields with has(...)`,
        ),
      );
    }
  }
  return out;
}

/**
 * Compiles rules and checks them before any resource is seen: syntax, variables, and every field
 * path against the schemas of the Steward kinds the rule matches (rules over other resource types,
 * such as Terraform's, are only compiled). A rule with a problem is left out and reported as an
 * error naming the rule's file and line.
 */
export function prepareRules(rules: readonly Rule[], kinds: ReadonlyMap<string, KindDefinition> = KINDS): PreparedRules {
  const compiled = compileRules(rules);
  const diagnostics: Diagnostic[] = [...compiled.diagnostics];
  const prepared: PreparedRule[] = [];
  for (const rule of compiled.rules) {
    const matched = rule.rule.match.map((m) => kinds.get(m)).filter((k): k is KindDefinition => k !== undefined);
    const problems = staticProblems(rule, matched);
    if (problems.length > 0) {
      diagnostics.push(...problems);
      continue;
    }
    const reads = [rule.condition, ...rule.message.filter((p): p is CompiledCel => typeof p !== 'string')];
    const usesChange = reads.some((e) => referencesOf(e.ast).variables.has('change'));
    prepared.push({ ...rule, usesChange });
  }
  return { rules: prepared, diagnostics };
}
