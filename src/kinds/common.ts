import { z } from 'zod';

/** `{env: NAME}`: the value is read from an environment variable when it is needed. */
export const envRefSchema = z
  .strictObject({
    env: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name such as PGPASSWORD')
      .describe('Name of the environment variable holding the value'),
  })
  .describe('Reference to an environment variable, read when the value is needed');

export type EnvRef = z.infer<typeof envRefSchema>;

/** A plain string, or a reference to an environment variable holding it. */
export const stringOrEnvSchema = z.union([z.string().min(1), envRefSchema]);
export type StringOrEnv = z.infer<typeof stringOrEnvSchema>;

export const portOrEnvSchema = z.union([z.number().int().min(1).max(65535), envRefSchema]);

const MAX_IDENTIFIER_BYTES = 63;

/** PostgreSQL truncates identifiers longer than 63 bytes, which would silently rename things. */
export function postgresIdentifierProblem(name: string): string | undefined {
  if (name.length === 0) return 'must not be empty';
  if (name.includes('\u0000')) return 'must not contain a NUL character';
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > MAX_IDENTIFIER_BYTES) {
    return `is ${bytes} bytes long; PostgreSQL identifiers are limited to ${MAX_IDENTIFIER_BYTES} bytes`;
  }
  return undefined;
}

export const postgresIdentifierSchema = z.string().superRefine((value, ctx) => {
  const problem = postgresIdentifierProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem, params: { steward: 'invalid-identifier' } });
});

export const connectionLimitSchema = z
  .number()
  .int()
  .min(-1)
  .describe('Maximum concurrent connections; -1 means no limit');
