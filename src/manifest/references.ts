import {
  addressOf,
  buildGraph,
  findCycles,
  formatFieldPath,
  parseAddress,
  type DesiredResource,
  type Diagnostic,
  type FieldPath,
  type KindDefinition,
  type ResourceAddress,
  type SourceLocation,
} from '../core/index.js';
import { closeMatches, closestMatch, quoteList } from './suggest.js';
import { expandOutcome, type Declaration, type DocumentOutcome } from './validate.js';
import { locate } from './locations.js';

export interface ResolvedManifests {
  /** The valid, non-duplicate documents as resources, in declaration order. */
  readonly resources: readonly DesiredResource[];
  readonly diagnostics: readonly Diagnostic[];
}

/** Why one resource depends on another: the field that says so, for locating problems. */
interface Edge {
  readonly target: ResourceAddress;
  readonly path: FieldPath;
  /** Where the field is; worked out only for a problem (a cycle), since locating costs a lookup per reference. */
  readonly location: () => SourceLocation;
}

function formatLocation(location: SourceLocation): string {
  return `${location.file}:${location.line}:${location.column}`;
}

/** At most this many declared names are listed in a hint, so it stays one line. */
const MAX_LISTED = 5;

function declaredNamesHint(kind: string, name: string, declared: ReadonlyMap<ResourceAddress, Declaration>): string {
  const names = [...declared.values()].filter((d) => d.kind === kind).map((d) => d.name);
  const close = closeMatches(name, names);
  if (close.length > 0) return `Did you mean ${quoteList(close)}? Otherwise declare a ${kind} named '${name}'.`;
  if (names.length === 0) return `Declare a ${kind} named '${name}' in the manifests.`;
  const listed = names.slice(0, MAX_LISTED);
  const more = names.length > listed.length ? ` and ${names.length - listed.length} more` : '';
  return `Use a declared ${kind} (${quoteList(listed)}${more}), or declare one named '${name}'.`;
}

/**
 * Checks what needs every document at once (duplicate names, references, dependsOn, cycles) and
 * builds the resources. A document with errors still counts as declared, so a reference to it is
 * not reported a second time as dangling, and its references are checked as far as they validated.
 */
export function resolveManifests(written: readonly DocumentOutcome[], kinds: ReadonlyMap<string, KindDefinition>): ResolvedManifests {
  const diagnostics: Diagnostic[] = [];
  // Composites first become the resources they stand for, so references reach their children.
  const outcomes: DocumentOutcome[] = [];
  for (const outcome of written) {
    outcomes.push(outcome);
    for (const child of expandOutcome(outcome, kinds)) {
      diagnostics.push(...child.diagnostics);
      outcomes.push(child);
    }
  }
  const declared = new Map<ResourceAddress, Declaration>();
  const unique: (DocumentOutcome & { readonly declaration: Declaration })[] = [];

  for (const outcome of outcomes) {
    const declaration = outcome.declaration;
    if (declaration === undefined) continue;
    const first = declared.get(declaration.address);
    if (first !== undefined) {
      diagnostics.push({
        severity: 'error',
        code: 'duplicate-name',
        summary: `${declaration.address} is declared more than once.`,
        detail: `First declared at ${formatLocation(first.nameLocation)}.`,
        hint: `Rename one of them or delete the repeated document; each ${declaration.kind} name must be unique.`,
        location: declaration.nameLocation,
        path: ['metadata', 'name'],
        address: declaration.address,
      });
      continue;
    }
    declared.set(declaration.address, declaration);
    unique.push(outcome as DocumentOutcome & { readonly declaration: Declaration });
  }

  const providers = new Map<string, ResourceAddress>();
  for (const outcome of unique) {
    const spec = outcome.spec;
    for (const key of spec?.definition.provides?.(outcome.declaration.name, spec.value) ?? []) providers.set(key, outcome.declaration.address);
  }

  const edgesOf = new Map<ResourceAddress, readonly Edge[]>();
  for (const outcome of unique) {
    const { edges, problems } = resolveEdges(outcome, declared, providers, kinds);
    edgesOf.set(outcome.declaration.address, edges);
    diagnostics.push(...problems);
  }

  const graph = buildGraph(
    unique.map((o) => o.declaration.address),
    (node) => (edgesOf.get(node) ?? []).map((e) => e.target),
  );
  for (const cycle of findCycles(graph)) {
    const head = cycle[0]!;
    const next = cycle[1 % cycle.length]!;
    const edge = (edgesOf.get(head) ?? []).find((e) => e.target === next);
    diagnostics.push({
      severity: 'error',
      code: 'dependency-cycle',
      summary: `Dependency cycle: ${[...cycle, head].join(' -> ')}.`,
      hint: 'Remove one of the dependsOn entries or references that form the cycle.',
      ...(edge === undefined ? {} : { location: edge.location(), path: edge.path }),
      address: head,
    });
  }

  const resources: DesiredResource[] = [];
  for (const outcome of unique) {
    const { declaration, spec, complete } = outcome;
    if (spec === undefined || complete === undefined || outcome.dependsOn === undefined) continue;
    const target = spec.definition.target(spec.value);
    const { address, kind, name, source } = declaration;
    const { metadata, protect } = complete;
    const dependsOn = [...new Set((edgesOf.get(address) ?? []).map((e) => e.target))];
    // Literals rather than a conditional spread: one per resource, thousands of them.
    resources.push(
      target === undefined
        ? { address, kind, name, metadata, spec: spec.value, dependsOn, protect, source }
        : { address, kind, name, metadata, spec: spec.value, dependsOn, target, protect, source },
    );
  }
  return { resources, diagnostics };
}

/**
 * The edges of one resource: explicit `dependsOn` entries first, then the spec's references whose
 * targets are declared. A required reference to an undeclared resource, and any `dependsOn` entry
 * that is malformed or undeclared, is a dangling reference. Depending on itself is a cycle of one.
 */
function resolveEdges(
  doc: DocumentOutcome & { readonly declaration: Declaration },
  declared: ReadonlyMap<ResourceAddress, Declaration>,
  providers: ReadonlyMap<string, ResourceAddress>,
  kinds: ReadonlyMap<string, KindDefinition>,
): { readonly edges: readonly Edge[]; readonly problems: readonly Diagnostic[] } {
  const self = doc.declaration.address;
  const edges: Edge[] = [];
  const problems: Diagnostic[] = [];
  const dangling = (path: FieldPath, location: SourceLocation, summary: string, hint: string): void => {
    problems.push({ severity: 'error', code: 'dangling-reference', summary, hint, location, path, address: self });
  };

  for (const entry of doc.dependsOn ?? []) {
    const field = formatFieldPath(entry.path);
    const parsed = parseAddress(entry.text);
    if (parsed === undefined) {
      const summary = `${field} '${entry.text}' is not a resource address.`;
      dangling(entry.path, entry.location, summary, 'Write it as Kind/name, for example PostgresInstance/main.');
      continue;
    }
    if (!kinds.has(parsed.kind)) {
      const suggestion = closestMatch(parsed.kind, [...kinds.keys()]);
      const hint =
        suggestion === undefined ? `Use one of the kinds ${quoteList([...kinds.keys()])}.` : `Did you mean '${suggestion}/${parsed.name}'?`;
      dangling(entry.path, entry.location, `${field} names the unknown kind '${parsed.kind}'.`, hint);
      continue;
    }
    const target = addressOf(parsed.kind, parsed.name);
    if (target === self) {
      problems.push({
        severity: 'error',
        code: 'dependency-cycle',
        summary: `Dependency cycle: ${self} -> ${self}.`,
        hint: `Remove '${entry.text}' from dependsOn: a resource cannot depend on itself.`,
        location: entry.location,
        path: entry.path,
        address: self,
      });
      continue;
    }
    if (!declared.has(target)) {
      dangling(entry.path, entry.location, `${field} names ${target}, which is not declared.`, declaredNamesHint(parsed.kind, parsed.name, declared));
      continue;
    }
    edges.push({ target, path: entry.path, location: () => entry.location });
  }

  const references = doc.spec === undefined ? [] : doc.spec.definition.references(doc.spec.value);
  for (const reference of references) {
    const location = (): SourceLocation => locate(doc.document, reference.path, 'value');
    if (reference.key !== undefined) {
      const provider = providers.get(reference.key);
      if (provider !== undefined && provider !== self) edges.push({ target: provider, path: reference.path, location });
      continue;
    }
    if (declared.has(reference.target)) {
      if (reference.target !== self) edges.push({ target: reference.target, path: reference.path, location });
      continue;
    }
    if (!reference.required) continue;
    const parsed = parseAddress(reference.target);
    dangling(
      reference.path,
      location(),
      `${formatFieldPath(reference.path)} names ${reference.target}, which is not declared.`,
      parsed === undefined ? `Declare ${reference.target} in the manifests.` : declaredNamesHint(parsed.kind, parsed.name, declared),
    );
  }
  return { edges, problems };
}
