import { z } from 'zod';
import { API_VERSION } from '../core/index.js';

/**
 * The parts of a manifest document that are the same for every kind. Validation and the editor
 * JSON Schema are both derived from these schemas so they cannot disagree.
 */

const stringMapSchema = z.record(z.string(), z.string());

export const metadataSchema = z
  .strictObject({
    name: z.string().describe('Name of the resource, unique per kind'),
    labels: stringMapSchema.default({}).describe('Free-form key/value strings for selecting and grouping resources'),
    annotations: stringMapSchema.default({}).describe('Free-form key/value strings for tools and people; not used by Steward'),
  })
  .describe('Identity of the resource');

/**
 * Lifecycle fields live in `spec` next to the kind's own fields but are not part of the kind's
 * schema; they are lifted out before the kind validates the rest. Addresses in `dependsOn` are
 * checked against the declared resources later, which gives better messages than a pattern.
 */
export const lifecycleShape = {
  dependsOn: z
    .array(z.string().describe('Address of a declared resource, as Kind/name (e.g. PostgresInstance/main)'))
    .optional()
    .describe('Resources that must be applied before this one, in addition to those the spec refers to'),
  protect: z.boolean().default(false).describe('Refuse to delete or replace this resource'),
} as const;

export const LIFECYCLE_KEYS: readonly string[] = Object.keys(lifecycleShape);

export const lifecycleSchema = z.object(lifecycleShape);

/**
 * Everything but the kind-specific parts: `apiVersion` and `kind` are checked by hand (they
 * need their own diagnostic codes) and `spec` only has to be a mapping here.
 */
export const envelopeSchema = z.strictObject({
  apiVersion: z.unknown().optional(),
  kind: z.unknown().optional(),
  metadata: metadataSchema,
  spec: z.record(z.string(), z.unknown()),
});

export const ENVELOPE_KEYS: readonly string[] = Object.keys(envelopeSchema.shape);

export const apiVersionSchema = z.literal(API_VERSION).describe('Version of the manifest format');
