import { z } from 'zod';
import { API_VERSION, type KindDefinition } from '../core/index.js';
import { envRefSchema, KINDS, secretRefSchema } from '../kinds/index.js';
import { lifecycleShape, metadataSchema } from './envelope.js';

export const JSON_SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';

/** The spec as written: the kind's own fields plus the lifecycle fields lifted out before validation. */
function specInputSchema(definition: KindDefinition): z.core.$ZodType {
  const spec = definition.spec;
  // Every built-in kind's spec is an object. Another shape cannot take extra keys, so it is
  // rendered as is and editors will not offer dependsOn/protect for it.
  return spec instanceof z.ZodObject ? spec.safeExtend(lifecycleShape) : spec;
}

function documentSchema(definition: KindDefinition): z.core.$ZodType {
  return z
    .strictObject({
      apiVersion: z.literal(API_VERSION).describe('Version of the manifest format'),
      kind: z.literal(definition.kind).describe('Type of the resource'),
      metadata: metadataSchema,
      spec: specInputSchema(definition),
    })
    .describe(`${definition.kind}: ${definition.description}`);
}

function isSensitive(schema: z.core.$ZodType): boolean {
  return z.globalRegistry.get(schema)?.['stewardSensitive'] === true;
}

/**
 * Draft 2020-12 JSON Schema of one manifest document, for editors: one `oneOf` entry per kind.
 * Sensitive fields are rendered as the references only (`{secretRef: NAME}` or `{env: NAME}`), so
 * an editor never suggests writing a literal secret even though the loader accepts one in order
 * to report it.
 */
export function manifestJsonSchema(kinds: ReadonlyMap<string, KindDefinition> = KINDS): Record<string, unknown> {
  const reference: Record<string, unknown> = { ...z.toJSONSchema(z.union([secretRefSchema, envRefSchema]), { io: 'input', target: 'draft-2020-12' }) };
  delete reference['$schema'];
  const documents = [...kinds.values()].map(documentSchema);
  // One conversion for the whole union, so any shared definitions land in one `$defs`.
  const converted: Record<string, unknown> = {
    ...z.toJSONSchema(z.union(documents), {
      io: 'input',
      target: 'draft-2020-12',
      override: (ctx) => {
        if (!isSensitive(ctx.zodSchema)) return;
        const node: Record<string, unknown> = ctx.jsonSchema;
        for (const key of Object.keys(node)) delete node[key];
        Object.assign(node, structuredClone(reference));
      },
    }),
  };
  // zod renders a union as anyOf. The kind constants make the entries mutually exclusive, so
  // oneOf accepts the same documents and lets editors report against the one matching entry.
  const entries = Array.isArray(converted['anyOf']) ? converted['anyOf'] : [];
  const rest = omit(converted, ['$schema', 'anyOf']);
  return {
    $schema: JSON_SCHEMA_DIALECT,
    title: 'Steward manifest',
    description: `One Steward resource (apiVersion ${API_VERSION}); several may share a file, separated by ---.`,
    ...rest,
    oneOf: entries,
  };
}

function omit(record: Readonly<Record<string, unknown>>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([key]) => !keys.includes(key)));
}
