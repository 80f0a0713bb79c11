import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { postgresInstanceSpecSchema, postgresRoleSpecSchema } from '../kinds/index.js';
import { descriptionAt, knownKeysAt } from './schema-walk.js';

describe('knownKeysAt', () => {
  it('lists the keys of the object at a path, through wrappers and unions', () => {
    expect(knownKeysAt(postgresRoleSpecSchema, [])).toContain('connectionLimit');
    expect(knownKeysAt(postgresInstanceSpecSchema, ['host'])).toEqual(['env']);
    expect(knownKeysAt(postgresInstanceSpecSchema, ['password'])).toEqual(['secretRef', 'env']);
    expect(knownKeysAt(postgresRoleSpecSchema, ['config'])).toEqual([]);
    expect(knownKeysAt(postgresRoleSpecSchema, ['nope', 'deeper'])).toEqual([]);
  });

  it('descends records, arrays, pipes, lazies and intersections', () => {
    const item = z.object({ a: z.string() });
    const schema = z.object({
      list: z.array(item).optional(),
      map: z.record(z.string(), item).default({}),
      piped: item.transform((v) => v.a),
      lazy: z.lazy(() => item),
      both: z.intersection(z.object({ x: z.number() }), z.object({ y: z.number() })),
    });
    expect(knownKeysAt(schema, ['list', 0])).toEqual(['a']);
    expect(knownKeysAt(schema, ['map', 'anything'])).toEqual(['a']);
    expect(knownKeysAt(schema, ['piped'])).toEqual(['a']);
    expect(knownKeysAt(schema, ['lazy'])).toEqual(['a']);
    expect(knownKeysAt(schema, ['both'])).toEqual(['x', 'y']);
  });
});

describe('descriptionAt', () => {
  it('finds the description given to a field, looking through wrappers', () => {
    expect(descriptionAt(postgresRoleSpecSchema, ['instance'])).toBe('Name of the PostgresInstance this role lives on');
    expect(descriptionAt(postgresRoleSpecSchema, ['connectionLimit'])).toBe('Maximum concurrent connections; -1 means no limit');
    expect(descriptionAt(postgresRoleSpecSchema, ['superuser'])).toBeUndefined();
  });
});
