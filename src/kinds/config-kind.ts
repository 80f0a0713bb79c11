import type { z } from 'zod';
import type { KindDefinition } from '../core/index.js';

/** Names of configuration documents: 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit. */
export function configNameProblem(name: string): string | undefined {
  return /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(name) ? undefined : 'must be 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit';
}

/**
 * A kind that configures Steward itself (a Policy, an Autonomy, a Secret...): never planned or
 * applied through a provider, so it has no references, target, attributes or field rules.
 */
export function configKind<Spec>(kind: string, spec: z.ZodType<Spec>, options: { readonly validateName?: (name: string) => string | undefined } = {}): KindDefinition<Spec> {
  return {
    kind,
    description: spec.description ?? '',
    spec,
    role: 'config',
    validateName: options.validateName ?? configNameProblem,
    references: () => [],
    target: () => undefined,
    desiredAttributes: () => ({}),
    fields: {},
  };
}
