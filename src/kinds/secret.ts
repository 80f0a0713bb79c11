import { z } from 'zod';
import { addressOf, type KindDefinition, type Reference } from '../core/index.js';
import { envRefSchema } from './common.js';
import { durationSchema } from './duration.js';
import { resourceNameProblem } from './names.js';
import { configKind } from './config-kind.js';

export const SECRET = 'Secret';

export const CHARACTER_CLASS_NAMES = ['lower', 'upper', 'digits', 'symbols'] as const;

export const secretSpecSchema = z
  .strictObject({
    type: z
      .enum(['generated', 'external'])
      .default('generated')
      .describe('generated: Steward makes the value; external: set with `steward secret set NAME` (read from stdin)'),
    length: z.number().int().min(12).max(256).default(32).describe('Length of a generated value'),
    classes: z
      .array(z.enum(CHARACTER_CLASS_NAMES))
      .min(1)
      .default(['lower', 'upper', 'digits'])
      .describe('Character classes a generated value draws from; it holds at least one of each'),
    grace: durationSchema(0, 'grace').default('1h').describe('How long a replaced version is kept (still readable) before it is destroyed'),
    description: z.string().optional(),
  })
  .describe('A secret value kept encrypted in the state store (envelope encryption under the master key)');

export type SecretSpec = z.infer<typeof secretSpecSchema>;

/** `{secretRef: NAME}`: the current value of a declared Secret, read when it is needed. */
export const secretRefSchema = z
  .strictObject({
    secretRef: z.string().min(1).refine((v) => resourceNameProblem(v) === undefined, 'must be the name of a declared Secret').describe('Name of a declared Secret'),
  })
  .describe('Reference to a Secret kept in the encrypted store');

export type SecretRef = z.infer<typeof secretRefSchema>;

/**
 * A sensitive field: `{secretRef: NAME}` or `{env: VAR}`, never a literal. A literal is reported as
 * `literal-secret` so it never reaches state, plans or logs.
 */
export const sensitiveValueSchema = z
  .union([z.string(), z.number(), secretRefSchema, envRefSchema])
  .superRefine((value, ctx) => {
    if (typeof value !== 'object') {
      ctx.addIssue({ code: 'custom', message: 'a literal secret is not allowed here; use {secretRef: NAME} or {env: VAR}', params: { steward: 'literal-secret' } });
    }
  })
  .transform((value) => value as SecretRef | z.infer<typeof envRefSchema>)
  .meta({ stewardSensitive: true });

export type SensitiveValue = z.infer<typeof sensitiveValueSchema>;

export function secretReference(path: readonly (string | number)[], name: string): Reference {
  return { path, target: addressOf(SECRET, name), required: true };
}

// Kept by Steward itself (the state store), not by a provider: created and destroyed by apply.
export const secretKind: KindDefinition<SecretSpec> = configKind(SECRET, secretSpecSchema, { validateName: resourceNameProblem });
