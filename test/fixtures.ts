import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { addressOf, type DesiredResource } from '../src/core/index.js';
import { KINDS } from '../src/kinds/index.js';

/** A short unique suffix so tests sharing one server never collide on cluster-wide names. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

export const TEST_PASSWORD_ENV = 'STEWARD_TEST_PGPASSWORD';

export function testEnv(): NodeJS.ProcessEnv {
  return { ...process.env, [TEST_PASSWORD_ENV]: inject('pg').password };
}

/** Builds a validated resource the way the manifest loader would, for tests below the loader. */
export function declare<Spec>(kind: string, name: string, spec: Record<string, unknown>, extra: Partial<DesiredResource> = {}): DesiredResource<Spec> {
  const definition = KINDS.get(kind);
  if (!definition) throw new Error(`unknown kind ${kind}`);
  const parsed = definition.spec.parse(spec) as Spec;
  const refs = definition.references(parsed).map((r) => r.target);
  const resource: DesiredResource<Spec> = {
    address: addressOf(kind, name),
    kind,
    name,
    metadata: { name, labels: {}, annotations: {} },
    spec: parsed as Spec,
    dependsOn: refs,
    target: definition.target(parsed),
    protect: false,
    source: { file: 'test.yaml', line: 1, column: 1 },
  };
  return { ...resource, ...extra } as DesiredResource<Spec>;
}

export function testInstance(name = 'test'): DesiredResource {
  const { host, port, user } = inject('pg');
  return declare('PostgresInstance', name, { host, port, user, database: 'postgres', password: { env: TEST_PASSWORD_ENV }, sslmode: 'disable' });
}
