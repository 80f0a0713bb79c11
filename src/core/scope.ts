/**
 * A part of a project that autonomy modes and pauses apply to. Text forms:
 * `project` | `kind:PostgresGrant` | `resource:PostgresRole/app` | `labels:team=payments,env=prod`.
 */
export type Scope =
  | { readonly type: 'project' }
  | { readonly type: 'kind'; readonly kind: string }
  | { readonly type: 'resource'; readonly address: string }
  | { readonly type: 'labels'; readonly selector: Readonly<Record<string, string>> };

export type ScopeParseResult =
  | { readonly ok: true; readonly scope: Scope }
  | { readonly ok: false; readonly error: string };

/** What a scope is matched against: a resource's identity and its manifest labels. */
export interface ScopedResource {
  readonly address: string;
  readonly kind: string;
  readonly labels: Readonly<Record<string, string>>;
}

const KIND = /^[A-Za-z][A-Za-z0-9]*$/;
const LABEL_KEY = /^[A-Za-z0-9]([A-Za-z0-9._/-]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^[^,=\s]*$/;
const FORMS = 'project, kind:KIND, resource:KIND/NAME or labels:KEY=VALUE[,KEY=VALUE...]';

function fail(error: string): ScopeParseResult {
  return { ok: false, error };
}

function parseSelector(text: string, original: string): ScopeParseResult {
  if (text.trim() === '') return fail(`scope "${original}" has no labels; write labels:KEY=VALUE[,KEY=VALUE...]`);
  const selector: Record<string, string> = {};
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) return fail(`scope "${original}": "${part}" is not KEY=VALUE`);
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (!LABEL_KEY.test(key)) return fail(`scope "${original}": "${key}" is not a label key`);
    if (!LABEL_VALUE.test(value)) return fail(`scope "${original}": "${value}" is not a label value`);
    if (key in selector && selector[key] !== value) {
      return fail(`scope "${original}": label "${key}" is given twice with different values`);
    }
    selector[key] = value;
  }
  return { ok: true, scope: { type: 'labels', selector } };
}

/** Parses the text form of a scope; the error names the text and the accepted forms. */
export function parseScope(text: string): ScopeParseResult {
  const trimmed = text.trim();
  if (trimmed === 'project') return { ok: true, scope: { type: 'project' } };
  const colon = trimmed.indexOf(':');
  if (colon < 0) return fail(`"${text}" is not a scope; use ${FORMS}`);
  const type = trimmed.slice(0, colon);
  const rest = trimmed.slice(colon + 1);
  switch (type) {
    case 'kind':
      if (!KIND.test(rest)) return fail(`scope "${text}": "${rest}" is not a kind name such as PostgresGrant`);
      return { ok: true, scope: { type: 'kind', kind: rest } };
    case 'resource': {
      const slash = rest.indexOf('/');
      if (slash <= 0 || slash === rest.length - 1 || !KIND.test(rest.slice(0, slash))) {
        return fail(`scope "${text}": "${rest}" is not a resource address such as PostgresRole/app`);
      }
      return { ok: true, scope: { type: 'resource', address: rest } };
    }
    case 'labels':
      return parseSelector(rest, text);
    default:
      return fail(`"${text}" is not a scope: unknown type "${type}"; use ${FORMS}`);
  }
}

/** The canonical text form: `parseScope(formatScope(s))` gives back an equal scope. Labels are sorted. */
export function formatScope(scope: Scope): string {
  switch (scope.type) {
    case 'project':
      return 'project';
    case 'kind':
      return `kind:${scope.kind}`;
    case 'resource':
      return `resource:${scope.address}`;
    case 'labels':
      return `labels:${Object.keys(scope.selector)
        .sort()
        .map((key) => `${key}=${scope.selector[key] ?? ''}`)
        .join(',')}`;
  }
}

export function scopeMatches(scope: Scope, resource: ScopedResource): boolean {
  switch (scope.type) {
    case 'project':
      return true;
    case 'kind':
      return resource.kind === scope.kind;
    case 'resource':
      return resource.address === scope.address;
    case 'labels':
      return Object.entries(scope.selector).every(([key, value]) => resource.labels[key] === value);
  }
}

/**
 * Higher is more specific: resource > labels > kind > project. Among label selectors the one
 * naming more labels is more specific. When several scopes match, the most specific one wins.
 */
export function scopeSpecificity(scope: Scope): number {
  switch (scope.type) {
    case 'project':
      return 0;
    case 'kind':
      return 1;
    case 'labels':
      return 2 + Math.min(Object.keys(scope.selector).length, 997) / 1000;
    case 'resource':
      return 3;
  }
}

/** The entry whose scope is the most specific match for `resource` (the first one wins a tie), if any. */
export function mostSpecificScope<S extends { readonly scope: Scope }>(
  entries: readonly S[],
  resource: ScopedResource,
): S | undefined {
  let best: S | undefined;
  for (const entry of entries) {
    if (!scopeMatches(entry.scope, resource)) continue;
    if (best === undefined || scopeSpecificity(entry.scope) > scopeSpecificity(best.scope)) best = entry;
  }
  return best;
}
