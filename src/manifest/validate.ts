import {
  addressOf,
  type Diagnostic,
  type FieldPath,
  type KindDefinition,
  type ResourceAddress,
  type ResourceMetadata,
  type SourceLocation,
} from '../core/index.js';
import { envelopeSchema, LIFECYCLE_KEYS, lifecycleSchema } from './envelope.js';
import { descriptionAt, knownKeysAt } from './schema-walk.js';
import { checkApiVersion, checkKind, type Report } from './header.js';
import { describeValue, issuesToDiagnostics, type IssueContext } from './zod-issues.js';
import { documentLocation, locate } from './locations.js';
import { isMapping, type SourceDocument } from './yaml-source.js';

/** A document whose kind and name could be read: it counts as declared even when it has errors. */
export interface Declaration {
  readonly address: ResourceAddress;
  readonly kind: string;
  readonly name: string;
  /** The document's first token. */
  readonly source: SourceLocation;
  readonly nameLocation: SourceLocation;
}

export interface DependsOnEntry {
  readonly text: string;
  readonly path: FieldPath;
  readonly location: SourceLocation;
}

/** A kind's validated spec (defaults applied), with the definition that validated it. */
export interface ParsedSpec {
  readonly definition: KindDefinition;
  readonly value: unknown;
}

/**
 * What one document yielded. Parts are present as far as they validated, so the cross-document
 * checks can still examine the references of a document that has other errors.
 */
export interface DocumentOutcome {
  readonly document: SourceDocument;
  readonly diagnostics: readonly Diagnostic[];
  readonly declaration?: Declaration;
  /** Present when the lifecycle fields validated. */
  readonly dependsOn?: readonly DependsOnEntry[];
  /** Present when the kind is known and the spec validated. */
  readonly spec?: ParsedSpec;
  /** Present when the whole document validated: it becomes a resource. */
  readonly complete?: { readonly metadata: ResourceMetadata; readonly protect: boolean };
}

function pick(record: Readonly<Record<string, unknown>>, keys: readonly string[], keep: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) if (keys.includes(key) === keep) out[key] = value;
  return out;
}

function readDeclaration(source: SourceDocument, data: unknown): Declaration | undefined {
  if (!isMapping(data) || typeof data['kind'] !== 'string' || !isMapping(data['metadata'])) return undefined;
  const name = data['metadata']['name'];
  if (typeof name !== 'string') return undefined;
  return {
    address: addressOf(data['kind'], name),
    kind: data['kind'],
    name,
    source: documentLocation(source),
    nameLocation: locate(source, ['metadata', 'name'], 'value'),
  };
}

/**
 * Validates one document on its own: envelope, metadata, lifecycle fields and the kind's spec.
 * Every problem found is reported; nothing stops at the first. Checks that need the other
 * documents (duplicates, references, cycles) are left to the caller.
 */
export function validateDocument(source: SourceDocument, kinds: ReadonlyMap<string, KindDefinition>): DocumentOutcome {
  const start = documentLocation(source);
  let data: unknown;
  try {
    data = source.value !== undefined ? source.value : source.document.toJS();
  } catch (error) {
    // toJS refuses aliases it cannot resolve (anchors do not cross documents) and aliases that
    // expand too much (a "billion laughs" document); the parser accepts both.
    const reason = error instanceof Error ? error.message : String(error);
    return {
      document: source,
      diagnostics: [
        {
          severity: 'error',
          code: 'yaml-syntax',
          summary: `The document cannot be read: ${reason.replace(/\.?$/, '.')}`,
          hint: 'Define each anchor (&name) before its aliases (*name) in the same document, and do not nest aliases to build huge values.',
          location: start,
          path: [],
        },
      ],
    };
  }
  const declaration = readDeclaration(source, data);
  const declared = declaration === undefined ? {} : { declaration };
  if (source.broken) return { document: source, diagnostics: [], ...declared };

  if (!isMapping(data)) {
    return {
      document: source,
      diagnostics: [
        {
          severity: 'error',
          code: 'not-a-mapping',
          summary: `The document is ${describeValue(data)}, not a mapping.`,
          hint: 'Write each resource as a mapping with apiVersion, kind, metadata and spec; separate resources with a line holding only ---.',
          location: start,
          path: [],
        },
      ],
    };
  }

  const address = declaration?.address;
  const diagnostics: Diagnostic[] = [];
  const report: Report = (d) => {
    diagnostics.push({ severity: 'error', ...d, ...(address === undefined ? {} : { address }) });
  };

  checkApiVersion(source, data, report);
  const definition = checkKind(source, data, kinds, report);

  const context = (prefix: FieldPath): IssueContext => ({
    source,
    prefix,
    data,
    knownKeys: (path) => knownKeysOf(definition, path),
    describe: (path) => describeField(definition, path),
    ...(address === undefined ? {} : { address }),
  });

  const envelope = envelopeSchema.safeParse(data);
  if (!envelope.success) diagnostics.push(...issuesToDiagnostics(envelope.error.issues, context([])));

  if (definition !== undefined && declaration !== undefined) {
    const problem = definition.validateName(declaration.name);
    if (problem !== undefined) {
      const reason = problem.replace(/\.$/, '');
      report({
        code: 'invalid-identifier',
        summary: `The name '${declaration.name}' cannot be used for a ${definition.kind}: it ${reason}.`,
        hint: `Rename the resource in metadata.name: it ${reason}.`,
        location: declaration.nameLocation,
        path: ['metadata', 'name'],
      });
    }
  }

  const rawSpec = data['spec'];
  if (!isMapping(rawSpec)) return { document: source, diagnostics, ...declared };

  const lifecycle = lifecycleSchema.safeParse(pick(rawSpec, LIFECYCLE_KEYS, true));
  if (!lifecycle.success) diagnostics.push(...issuesToDiagnostics(lifecycle.error.issues, context(['spec'])));
  const dependsOn = lifecycle.success ? { dependsOn: dependsOnEntries(source, lifecycle.data.dependsOn ?? []) } : {};

  const parsed = definition?.spec.safeParse(pick(rawSpec, LIFECYCLE_KEYS, false));
  if (parsed !== undefined && !parsed.success) diagnostics.push(...issuesToDiagnostics(parsed.error.issues, context(['spec'])));
  const spec = definition !== undefined && parsed?.success === true ? { spec: { definition, value: parsed.data } } : {};

  const complete =
    envelope.success && lifecycle.success && parsed?.success === true && !diagnostics.some((d) => d.severity === 'error')
      ? { complete: { metadata: envelope.data.metadata, protect: lifecycle.data.protect } }
      : {};
  return { document: source, diagnostics, ...declared, ...dependsOn, ...spec, ...complete };
}

/** One entry per distinct address, located at its first occurrence. */
function dependsOnEntries(source: SourceDocument, texts: readonly string[]): readonly DependsOnEntry[] {
  const entries: DependsOnEntry[] = [];
  texts.forEach((text, index) => {
    if (texts.indexOf(text) !== index) return;
    const path: FieldPath = ['spec', 'dependsOn', index];
    entries.push({ text, path, location: locate(source, path, 'value') });
  });
  return entries;
}

/** Keys allowed at a document path: the envelope's, or the kind's spec plus the lifecycle fields. */
function knownKeysOf(definition: KindDefinition | undefined, path: FieldPath): readonly string[] {
  if (path[0] !== 'spec') return knownKeysAt(envelopeSchema, path);
  if (definition === undefined) return path.length === 1 ? LIFECYCLE_KEYS : [];
  const inSpec = path.slice(1);
  const keys = knownKeysAt(definition.spec, inSpec);
  return inSpec.length === 0 ? [...keys, ...LIFECYCLE_KEYS] : keys;
}

function describeField(definition: KindDefinition | undefined, path: FieldPath): string | undefined {
  if (path[0] !== 'spec') return descriptionAt(envelopeSchema, path);
  const inSpec = path.slice(1);
  // The spec's own description describes the kind, not what to write in the field.
  if (inSpec.length === 0) return undefined;
  return (definition === undefined ? undefined : descriptionAt(definition.spec, inSpec)) ?? descriptionAt(lifecycleSchema, inSpec);
}

/**
 * The documents a composite (e.g. an Agent) stands for, each validated by its own kind and located
 * at the composite's document. Only a composite that validated completely is expanded; problems
 * in a child are reported on the composite (they come from its fields).
 */
export function expandOutcome(outcome: DocumentOutcome, kinds: ReadonlyMap<string, KindDefinition>): readonly DocumentOutcome[] {
  const { spec, complete, declaration } = outcome;
  if (spec?.definition.expand === undefined || complete === undefined || declaration === undefined) return [];
  return spec.definition.expand(declaration.name, spec.value, complete.metadata).map((child) => {
    const address = addressOf(child.kind, child.name);
    const childDeclaration: Declaration = { address, kind: child.kind, name: child.name, source: declaration.source, nameLocation: declaration.nameLocation };
    const definition = kinds.get(child.kind);
    const problem = (summary: string): DocumentOutcome => ({
      document: outcome.document,
      declaration: childDeclaration,
      diagnostics: [
        {
          severity: 'error',
          code: 'invalid-value',
          summary: `${declaration.address} expands into ${address}, which is invalid: ${summary}`,
          hint: `Fix the fields of ${declaration.address} this comes from.`,
          location: declaration.source,
          path: ['spec'],
          address: declaration.address,
        },
      ],
    });
    if (definition === undefined) return problem(`the kind ${child.kind} is unknown`);
    const nameProblem = definition.validateName(child.name);
    if (nameProblem !== undefined) return problem(`its name ${nameProblem}`);
    const parsed = definition.spec.safeParse(child.spec);
    if (!parsed.success) return problem(parsed.error.issues.map((i) => `${i.path.join('.') || 'spec'}: ${i.message}`).join('; '));
    const metadata: ResourceMetadata = { name: child.name, labels: { ...(child.labels ?? {}) }, annotations: { ...(child.annotations ?? {}) } };
    return {
      document: outcome.document,
      diagnostics: [],
      declaration: childDeclaration,
      dependsOn: [],
      spec: { definition, value: parsed.data },
      complete: { metadata, protect: complete.protect },
    };
  });
}
