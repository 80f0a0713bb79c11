import { addressOf, API_VERSION, type KindDefinition, type SourceLocation } from '../core/index.js';
import { KINDS } from '../kinds/index.js';
import { evaluateRules } from './evaluate.js';
import type { PreparedRule } from './prepare.js';
import type { ChangeView, ResourceView } from './view.js';

/**
 * A rule's test case, like an `opa test` case: a resource (and for plan-time rules a change),
 * and whether the rule must report a violation. The built-in pack's cases are in
 * builtin/fixtures.ts; a project's are in `Policy.spec.tests`.
 */
export interface RuleTest {
  readonly name: string;
  readonly rule: string;
  readonly expect: 'violation' | 'pass';
  /** As written in a manifest; validated by its kind (defaults applied) when the spec allows it. */
  readonly resource: {
    readonly kind: string;
    readonly metadata?: Readonly<Record<string, unknown>>;
    readonly spec?: Readonly<Record<string, unknown>>;
  };
  readonly change?: {
    readonly action: ChangeView['action'];
    readonly before?: Readonly<Record<string, unknown>> | null;
    readonly after?: Readonly<Record<string, unknown>> | null;
  };
  /** ISO 8601; the time the rule sees as `now`. */
  readonly now?: string;
  /** Where the case is written (absent for built-in cases). */
  readonly source?: SourceLocation;
}

export interface RuleTestResult {
  readonly test: RuleTest;
  readonly ok: boolean;
  readonly actual: 'violation' | 'pass' | 'error';
  /** The violation message, the error, or a note such as a spec used as written. */
  readonly detail?: string;
}

function stringMap(value: unknown): Readonly<Record<string, string>> {
  if (typeof value !== 'object' || value === null) return {};
  return Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/** The resource as rules would see it from a manifest; `note` says when the spec could not be validated. */
function viewOf(test: RuleTest, kinds: ReadonlyMap<string, KindDefinition>): { readonly view: ResourceView; readonly note?: string } {
  const metadata = test.resource.metadata ?? {};
  const name = typeof metadata['name'] === 'string' ? metadata['name'] : 'test';
  const raw = test.resource.spec ?? {};
  const parsed = kinds.get(test.resource.kind)?.spec.safeParse(raw);
  const view: ResourceView = {
    apiVersion: API_VERSION,
    kind: test.resource.kind,
    metadata: { name, labels: stringMap(metadata['labels']), annotations: stringMap(metadata['annotations']) },
    spec: parsed?.success ? parsed.data : raw,
  };
  if (parsed === undefined || parsed.success) return { view };
  const issue = parsed.error.issues[0];
  return { view, note: `spec used as written (it does not validate as ${test.resource.kind}: ${issue?.path.join('.') || 'spec'}: ${issue?.message ?? 'invalid'})` };
}

function changeOf(test: RuleTest, view: ResourceView): ChangeView | undefined {
  if (test.change === undefined) return undefined;
  const before = test.change.before ?? null;
  const after = test.change.after ?? null;
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  const fields = [...keys].filter((k) => JSON.stringify(before?.[k]) !== JSON.stringify(after?.[k]));
  return {
    action: test.change.action,
    address: addressOf(view.kind, view.metadata.name),
    kind: view.kind,
    name: view.metadata.name,
    adopt: false,
    fields,
    before: before as ChangeView['before'],
    after: after as ChangeView['after'],
  };
}

/** Runs one case; a rule missing, an evaluation error or a change-less case for a change rule all fail it. */
export function runRuleTest(test: RuleTest, rules: ReadonlyMap<string, PreparedRule>, kinds: ReadonlyMap<string, KindDefinition> = KINDS): RuleTestResult {
  const rule = rules.get(test.rule);
  if (rule === undefined) return { test, ok: false, actual: 'error', detail: `no rule ${test.rule} is loaded (unknown, disabled or broken)` };
  const { view, note } = viewOf(test, kinds);
  const change = changeOf(test, view);
  if (rule.usesChange && change === undefined) return { test, ok: false, actual: 'error', detail: `${test.rule} reads change: give the case a change` };
  const now = test.now === undefined ? new Date() : new Date(test.now);
  const bindings = { now, ...(change === undefined ? {} : { change }) };
  const result = evaluateRules([rule], [{ type: view.kind, name: view.metadata.name, resource: view as unknown as Record<string, unknown> }], () => bindings);
  const failure = result.diagnostics[0];
  if (failure !== undefined) return { test, ok: false, actual: 'error', detail: [failure.summary, note].filter(Boolean).join('; ') };
  const finding = result.findings[0];
  const actual = finding === undefined ? 'pass' : 'violation';
  const detail = [finding?.message, note].filter((d): d is string => d !== undefined).join('; ');
  return { test, ok: actual === test.expect, actual, ...(detail === '' ? {} : { detail }) };
}

export function runRuleTests(tests: readonly RuleTest[], rules: readonly PreparedRule[], kinds?: ReadonlyMap<string, KindDefinition>): readonly RuleTestResult[] {
  const byId = new Map(rules.map((r) => [r.rule.id, r]));
  return tests.map((t) => runRuleTest(t, byId, kinds));
}
