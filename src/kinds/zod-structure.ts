import type { z } from 'zod';

/**
 * Looking inside zod schemas, shared by the manifest loader (known keys, hints) and the policy
 * layer (which fields a rule may read): the same notion of "what this schema stands for".
 */
type Schema = z.core.$ZodType;

/** zod's documented way to inspect a schema: narrow the union of its core types by `def.type`. */
export function defOf(schema: Schema): z.core.$ZodTypes['_zod']['def'] {
  return (schema as z.core.$ZodTypes)._zod.def;
}

/** Wrappers that do not change which keys an object accepts; descending goes through them. */
export function unwrapOnce(schema: Schema): readonly Schema[] | undefined {
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
export function structural(schema: Schema, depth = 0): readonly Schema[] {
  // Recursive (lazy) schemas could unwrap forever; real manifests never nest this deep.
  if (depth > 32) return [];
  const inner = unwrapOnce(schema);
  if (inner === undefined) return [schema];
  return inner.flatMap((s) => structural(s, depth + 1));
}

