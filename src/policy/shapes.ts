import { distance } from 'fastest-levenshtein';
import { z } from 'zod';
import type { KindDefinition } from '../core/index.js';
import { defOf, structural } from '../kinds/index.js';

/**
 * The fields rules may read, derived from the kinds' schemas so they cannot drift apart. Used to
 * reject `resource.spec.superusr` when the rule is loaded, instead of letting it fail (or, under
 * `has()`, silently pass) when it is evaluated.
 */

type Schema = z.core.$ZodType;

/** `open`: any key may follow (maps, free-form values); `leaf`: a scalar, nothing may follow. */
type Shape =
  | { readonly type: 'fields'; readonly fields: Readonly<Record<string, Shape>> }
  | { readonly type: 'schema'; readonly schema: Schema }
  | { readonly type: 'open' }
  | { readonly type: 'leaf' };

const OPEN: Shape = { type: 'open' };
const LEAF: Shape = { type: 'leaf' };


/** Children of `shape` at `key`, 'open' when anything may follow, [] when the key does not exist. */
function childrenOf(shape: Shape, key: string): readonly Shape[] | 'open' {
  switch (shape.type) {
    case 'open':
      return 'open';
    case 'leaf':
      return [];
    case 'fields':
      return Object.hasOwn(shape.fields, key) ? [shape.fields[key]!] : [];
    case 'schema': {
      const out: Shape[] = [];
      for (const s of structural(shape.schema)) {
        const def = defOf(s);
        if (def.type === 'record' || def.type === 'unknown' || def.type === 'any' || def.type === 'map') return 'open';
        if (def.type === 'object') {
          // A strict object's catch-all is `never`: it admits no other key.
          const catchall = def.catchall !== undefined && defOf(def.catchall).type !== 'never' ? def.catchall : undefined;
          const field = Object.hasOwn(def.shape, key) ? def.shape[key] : catchall;
          if (field !== undefined) out.push({ type: 'schema', schema: field });
        }
      }
      return out;
    }
  }
}

function keysOf(shape: Shape): readonly string[] {
  if (shape.type === 'fields') return Object.keys(shape.fields);
  if (shape.type !== 'schema') return [];
  return structural(shape.schema).flatMap((s) => {
    const def = defOf(s);
    return def.type === 'object' ? Object.keys(def.shape) : [];
  });
}

/** The spec's top-level keys, any value: attributes are normalised and may differ in type from the spec. */
function attributesShape(definition: KindDefinition): Shape {
  const fields: Record<string, Shape> = {};
  for (const key of keysOf({ type: 'schema', schema: definition.spec })) fields[key] = OPEN;
  return { type: 'fields', fields };
}

/** The variables a Steward rule sees, with the fields of each, for one kind (see view.ts). */
function rootsFor(definition: KindDefinition): Readonly<Record<string, Shape>> {
  const attributes = attributesShape(definition);
  return {
    resource: {
      type: 'fields',
      fields: {
        apiVersion: LEAF,
        kind: LEAF,
        metadata: { type: 'fields', fields: { name: LEAF, labels: OPEN, annotations: OPEN } },
        spec: { type: 'schema', schema: definition.spec },
      },
    },
    change: {
      type: 'fields',
      fields: { action: LEAF, address: LEAF, kind: LEAF, name: LEAF, adopt: LEAF, fields: LEAF, before: attributes, after: attributes },
    },
    now: LEAF,
  };
}

export const RULE_VARIABLES: readonly string[] = ['resource', 'change', 'now'];

/** Identifiers CEL itself defines: the type names, usable as values (`type(x) == map`). */
export const CEL_TYPE_NAMES: ReadonlySet<string> = new Set(['int', 'uint', 'double', 'bool', 'string', 'bytes', 'list', 'map', 'null_type', 'type', 'dyn', 'timestamp', 'duration']);

/** Why `root.path` cannot be read on this kind, or undefined when it can. */
function pathProblem(definition: KindDefinition, root: string, path: readonly string[]): { readonly at: string; readonly known: readonly string[] } | undefined {
  let shapes: readonly Shape[] = [rootsFor(definition)[root] ?? OPEN];
  let walked = root;
  for (const key of path) {
    const next: Shape[] = [];
    for (const shape of shapes) {
      const children = childrenOf(shape, key);
      if (children === 'open') return undefined;
      next.push(...children);
    }
    if (next.length === 0) return { at: `${walked}.${key}`, known: shapes.flatMap(keysOf) };
    shapes = next;
    walked = `${walked}.${key}`;
  }
  return undefined;
}

export interface UnknownField {
  /** The first segment that does not exist, e.g. `resource.spec.superusr`. */
  readonly path: string;
  readonly kinds: readonly string[];
  readonly suggestion?: string;
  readonly known: readonly string[];
}

/**
 * Checks a field path against every kind the rule matches. It is a mistake only when no matched
 * kind has it: a rule over several kinds may guard a field of one of them with `has()`.
 */
export function unknownField(kinds: readonly KindDefinition[], root: string, path: readonly string[]): UnknownField | undefined {
  if (kinds.length === 0) return undefined;
  const problems = kinds.map((k) => pathProblem(k, root, path));
  if (problems.some((p) => p === undefined)) return undefined;
  const first = problems[0]!;
  const known = [...new Set(problems.flatMap((p) => p!.known))];
  const wrong = first.at.slice(first.at.lastIndexOf('.') + 1);
  const close = known.map((k) => [k, distance(k.toLowerCase(), wrong.toLowerCase())] as const).sort((a, b) => a[1] - b[1])[0];
  const suggestion = close !== undefined && close[1] <= Math.max(1, Math.floor(wrong.length / 3)) ? close[0] : undefined;
  return { path: first.at, kinds: kinds.map((k) => k.kind), known, ...(suggestion === undefined ? {} : { suggestion }) };
}
