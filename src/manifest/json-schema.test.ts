import { describe, expect, it } from 'vitest';
import { KINDS } from '../kinds/index.js';
import { manifestJsonSchema } from './json-schema.js';

type Json = Record<string, unknown>;

function entryFor(schema: Json, kind: string): Json {
  const entries = schema['oneOf'] as Json[];
  const entry = entries.find((e) => ((e['properties'] as Json)['kind'] as Json)['const'] === kind);
  if (entry === undefined) throw new Error(`no entry for ${kind}`);
  return entry;
}

function properties(schema: Json, ...path: string[]): Json {
  let current = schema;
  for (const key of path) current = (current['properties'] as Json)[key] as Json;
  return current;
}

describe('manifestJsonSchema', () => {
  const schema = manifestJsonSchema();

  it('is a draft 2020-12 schema with one oneOf entry per kind', () => {
    expect(schema['$schema']).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(typeof schema['description']).toBe('string');
    const entries = schema['oneOf'] as Json[];
    expect(entries).toHaveLength(KINDS.size);
    expect(schema).not.toHaveProperty('anyOf');
    for (const kind of KINDS.keys()) {
      const entry = entryFor(schema, kind);
      expect(entry['additionalProperties']).toBe(false);
      expect(entry['required']).toEqual(['apiVersion', 'kind', 'metadata', 'spec']);
      expect(properties(entry, 'apiVersion')['const']).toBe('steward.dev/v1alpha1');
      expect(typeof entry['description']).toBe('string');
      expect(entry['description']).toContain(kind);
    }
  });

  it('describes metadata, strictly', () => {
    const metadata = properties(entryFor(schema, 'PostgresRole'), 'metadata');
    expect(metadata['additionalProperties']).toBe(false);
    expect(metadata['required']).toEqual(['name']);
    expect(Object.keys(metadata['properties'] as Json)).toEqual(['name', 'labels', 'annotations']);
    expect(properties(metadata, 'name')['description']).toBeTruthy();
  });

  it('describes the spec as written, with the lifecycle fields and defaults', () => {
    const spec = properties(entryFor(schema, 'PostgresDatabase'), 'spec');
    expect(spec['additionalProperties']).toBe(false);
    expect(spec['required']).toEqual(['instance']);
    expect(properties(spec, 'connectionLimit')).toMatchObject({ type: 'integer', minimum: -1, default: -1 });
    expect(properties(spec, 'dependsOn')).toMatchObject({ type: 'array', items: { type: 'string' } });
    expect(properties(spec, 'dependsOn')['description']).toBeTruthy();
    expect(properties(spec, 'protect')).toMatchObject({ type: 'boolean', default: false });
    expect(properties(entryFor(schema, 'PostgresRole'), 'spec', 'sslmode')).toBeUndefined();
    expect(properties(entryFor(schema, 'PostgresInstance'), 'spec', 'sslmode')['enum']).toContain('verify-full');
  });

  it('renders a sensitive field as the references only, never a literal', () => {
    for (const kind of ['PostgresInstance', 'PostgresRole']) {
      const password = properties(entryFor(schema, kind), 'spec', 'password');
      const forms = password['anyOf'] as Json[];
      expect(forms).toHaveLength(2);
      expect(forms[0]).toMatchObject({ type: 'object', properties: { secretRef: { type: 'string' } }, required: ['secretRef'], additionalProperties: false });
      expect(forms[1]).toMatchObject({ type: 'object', properties: { env: { type: 'string' } }, required: ['env'], additionalProperties: false });
      expect(password['description']).toContain('never a literal');
      expect(password).not.toHaveProperty('stewardSensitive');
    }
    expect(JSON.stringify(schema)).not.toContain('stewardSensitive');
  });

  it('keeps the env alternative of values that are not sensitive', () => {
    const host = properties(entryFor(schema, 'PostgresInstance'), 'spec', 'host');
    expect((host['anyOf'] as Json[]).map((o) => o['type'])).toEqual(['string', 'object']);
  });

  it('follows the kinds it is given', () => {
    const only = manifestJsonSchema(new Map([...KINDS].filter(([k]) => k === 'PostgresRole')));
    expect((only['oneOf'] as Json[]).length).toBe(1);
    expect(manifestJsonSchema(new Map())['oneOf']).toEqual([]);
  });

  it('is plain JSON', () => {
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
  });
});
