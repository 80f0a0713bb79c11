import { z } from 'zod';
import type { FieldPath } from '../core/index.js';
import { defOf, structural, unwrapOnce } from '../kinds/index.js';

type Schema = z.core.$ZodType;

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
