import type { DesiredResource, Diagnostic, SourceLocation } from '../core/index.js';
import { POLICY, type PolicySpec } from '../kinds/policy.js';
import { BUILTIN_RULES } from './builtin/index.js';
import { documentLocators, locationKey, type FieldLocator } from './locate.js';
import type { Enforcement, Rule } from './rule.js';
import type { RuleTest } from './rule-test.js';
import { waiversOf, type Waiver } from './waivers.js';

/** A rule switched off by a Policy; reported wherever the effective rules are shown. */
export interface DisabledRule {
  readonly ruleId: string;
  /** `Policy/name`. */
  readonly by: string;
  readonly location: SourceLocation;
}

/** A rule whose enforcement a Policy changed. */
export interface EnforcementOverride {
  readonly ruleId: string;
  readonly from: Enforcement;
  readonly to: Enforcement;
  readonly by: string;
  readonly location: SourceLocation;
}

/** The rules, waivers and tests in force for a project: the built-in pack plus its Policy manifests. */
export interface PolicySet {
  /** Enabled rules, enforcement overrides applied. */
  readonly rules: readonly Rule[];
  readonly disabled: readonly DisabledRule[];
  readonly overrides: readonly EnforcementOverride[];
  readonly waivers: readonly Waiver[];
  readonly tests: readonly RuleTest[];
  /** Duplicate ids are errors; disabling or re-enforcing an unknown rule is a warning. */
  readonly diagnostics: readonly Diagnostic[];
}

export interface PolicySetInput {
  /** Every validated resource of the project; only Policy and PolicyWaiver are read. */
  readonly desired: readonly DesiredResource[];
  /** Text of the files declaring them, by `source.file`, to locate each rule; missing files fall back to the document's line. */
  readonly texts?: ReadonlyMap<string, string>;
  readonly builtin?: readonly Rule[];
}

function locatorFor(resource: DesiredResource, cache: Map<string, ReadonlyMap<string, FieldLocator>>, texts: ReadonlyMap<string, string>): FieldLocator {
  const file = resource.source.file;
  let locators = cache.get(file);
  if (locators === undefined) {
    const text = texts.get(file);
    locators = text === undefined ? new Map() : documentLocators(file, text);
    cache.set(file, locators);
  }
  return locators.get(locationKey(resource.source)) ?? (() => resource.source);
}

/** Builds the effective policy of a project. Pure: the caller reads the files. */
export function policySetOf(input: PolicySetInput): PolicySet {
  const texts = input.texts ?? new Map<string, string>();
  const diagnostics: Diagnostic[] = [];
  const cache = new Map<string, ReadonlyMap<string, FieldLocator>>();
  const rules: Rule[] = [...(input.builtin ?? BUILTIN_RULES)];
  const declaredAt = new Map<string, string>(rules.map((r) => [r.id, 'the built-in pack']));
  const disabling: DisabledRule[] = [];
  const enforcing: Omit<EnforcementOverride, 'from'>[] = [];
  const tests: RuleTest[] = [];

  for (const resource of input.desired.filter((r) => r.kind === POLICY)) {
    const spec = resource.spec as PolicySpec;
    const locate = locatorFor(resource, cache, texts);
    spec.rules.forEach((written, index) => {
      const source = locate(['spec', 'rules', index]);
      const where = `${source.file}:${source.line}`;
      const previous = declaredAt.get(written.id);
      if (previous !== undefined) {
        diagnostics.push({
          severity: 'error',
          code: 'duplicate-name',
          summary: `policy rule ${written.id} is declared twice: here and in ${previous}`,
          hint: 'give the rule an id of its own; to change a built-in rule, disable it (spec.disabled) or re-enforce it (spec.enforce)',
          location: locate(['spec', 'rules', index, 'id']),
          address: resource.address,
        });
        return;
      }
      declaredAt.set(written.id, where);
      rules.push({ ...written, source, policy: resource.address });
    });
    spec.disabled.forEach((ruleId, index) => disabling.push({ ruleId, by: resource.address, location: locate(['spec', 'disabled', index]) }));
    for (const [ruleId, to] of Object.entries(spec.enforce)) {
      enforcing.push({ ruleId, to, by: resource.address, location: locate(['spec', 'enforce', ruleId]) });
    }
    spec.tests.forEach((test, index) => {
      tests.push({
        name: test.name ?? `${resource.name} case ${index + 1}`,
        rule: test.rule,
        expect: test.expect,
        resource: test.resource,
        ...(test.change === undefined ? {} : { change: test.change }),
        ...(test.now === undefined ? {} : { now: test.now }),
        source: locate(['spec', 'tests', index]),
      });
    });
  }

  const unknown = (ruleId: string, what: string, location: SourceLocation, by: string): void => {
    diagnostics.push({
      severity: 'warning',
      code: 'dangling-reference',
      summary: `${by} ${what} ${ruleId}, which no built-in rule or Policy declares`,
      hint: 'check the id with `steward policy list`',
      location,
      address: by,
    });
  };
  const known = new Set(rules.map((r) => r.id));
  const disabledIds = new Set<string>();
  const disabled: DisabledRule[] = [];
  for (const d of disabling) {
    if (!known.has(d.ruleId)) unknown(d.ruleId, 'disables', d.location, d.by);
    else if (!disabledIds.has(d.ruleId)) {
      disabledIds.add(d.ruleId);
      disabled.push(d);
    }
  }
  const overrides: EnforcementOverride[] = [];
  const enforcement = new Map<string, Enforcement>();
  for (const o of enforcing) {
    const rule = rules.find((r) => r.id === o.ruleId);
    if (rule === undefined) {
      unknown(o.ruleId, 'changes the enforcement of', o.location, o.by);
      continue;
    }
    overrides.push({ ruleId: o.ruleId, from: rule.enforcement, to: o.to, by: o.by, location: o.location });
    enforcement.set(o.ruleId, o.to);
  }
  const effective = rules
    .filter((r) => !disabledIds.has(r.id))
    .map((r) => {
      const to = enforcement.get(r.id);
      return to === undefined ? r : { ...r, enforcement: to };
    });
  return { rules: effective, disabled, overrides, waivers: waiversOf(input.desired), tests, diagnostics };
}
