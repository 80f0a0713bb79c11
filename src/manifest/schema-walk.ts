import { z } from 'zod';
import type { FieldPath } from '../core/index.js';

type Schema = z.core.$ZodType;

/** zod's documented way to inspect a schema: narrow the union of its core types by `def.type`. */
function defOf(schema: Schema): z.core.$ZodTypes['_zod']['def'] {
  return (schema as z.core.$ZodTypes)._zod.def;
}

/** Wrappers that do not change which keys an object accepts; descending goes through them. */
function unwrapOnce(schema: Schema): readonly Schema[] | undefined {
  const def = defOf(schema);
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'nonoptional':
    case 'readonly':
    case 'catch':
      return [def.innerType];
    case 'pipe':
      // The input side is what the user writes in the manifest.
      return [def.in];
    case 'lazy':
      return [def.getter()];
    case 'union':
      return def.options;
    case 'intersection':
      return [def.left, def.right];
    default:
      return undefined;
  }
}

/** The structural schemas (objects, arrays, records, ...) a schema stands for, wrappers removed. */
function structural(schema: Schema, depth = 0): readonly Schema[] {
  // Recursive (lazy) schemas could unwrap forever; real manifests never nest this deep.
  if (depth > 32) return [];
  const inner = unwrapOnce(schema);
  if (inner === undefined) return [schema];
  return inner.flatMap((s) => structural(s, depth + 1));
}

function child(schema: Schema, segment: string | number): readonly Schema[] {
  const def = defOf(schema);
  switch (def.type) {
    case 'object': {
      const field = typeof segment === 'string' && Object.hasOwn(def.shape, segment) ? def.shape[segment] : undefined;
      if (field !== undefined) return [field];
      return def.catchall === undefined ? [] : [def.catchall];
    }
    case 'record':
      return [def.valueType];
    case 'array':
      return [def.element];
    case 'tuple': {
      const item = typeof segment === 'number' ? def.items[segment] : undefined;
      if (item !== undefined) return [item];
      return def.rest === null ? [] : [def.rest];
    }
    default:
      return [];
  }
}

/** Every schema the value at `path` may be validated by (several when a union is crossed). */
export function schemasAt(root: Schema, path: FieldPath): readonly Schema[] {
  let current: readonly Schema[] = [root];
  for (const segment of path) {
    current = current.flatMap((s) => structural(s)).flatMap((s) => child(s, segment));
    if (current.length === 0) break;
  }
  return current;
}

/** The keys an object at `path` accepts, in declaration order; empty when none is known. */
export function knownKeysAt(root: Schema, path: FieldPath): readonly string[] {
  const keys = new Set<string>();
  for (const s of schemasAt(root, path).flatMap((x) => structural(x))) {
    const def = defOf(s);
    if (def.type === 'object') for (const key of Object.keys(def.shape)) keys.add(key);
  }
  return [...keys];
}

/** The description given to the field at `path` (`.describe()` / `.meta()`), looking through wrappers. */
export function descriptionAt(root: Schema, path: FieldPath): string | undefined {
  const visit = (schema: Schema, depth: number): string | undefined => {
    const own = z.globalRegistry.get(schema)?.description;
    if (own !== undefined) return own;
    if (depth > 8) return undefined;
    const inner = unwrapOnce(schema);
    if (inner === undefined || inner.length !== 1) return undefined;
    return visit(inner[0]!, depth + 1);
  };
  for (const s of schemasAt(root, path)) {
    const d = visit(s, 0);
    if (d !== undefined) return d;
  }
  return undefined;
}
