import { describe, expect, it } from 'vitest';
import { compileCel } from './cel.js';
import { referencesOf } from './references.js';

function refs(text: string) {
  const compiled = compileCel(text);
  if (!compiled.ok) throw new Error(compiled.message);
  const found = referencesOf(compiled.expression.ast);
  return { variables: [...found.variables].sort(), fields: found.fields.map((f) => [f.root, ...f.path].join('.')) };
}

describe('referencesOf', () => {
  it('finds field paths through selections, string indexes and has()', () => {
    expect(refs('has(resource.spec.owner) && resource.metadata.annotations["steward.dev/owner"] == "x"')).toEqual({
      variables: ['resource'],
      fields: ['resource.spec.owner', 'resource.metadata.annotations.steward.dev/owner'],
    });
  });

  it('stops a path at a computed index, whose own variables count', () => {
    expect(refs('change.after[a] == true')).toEqual({ variables: ['a', 'change'], fields: ['change.after'] });
  });

  it('does not report variables bound by macros or cel.bind', () => {
    expect(refs('resource.spec.privileges.exists(p, p == "ALL") && cel.bind(n, resource.metadata.name, n.size() > 3) && m.all(k, v, v)')).toEqual({
      variables: ['m', 'resource'],
      fields: ['resource.spec.privileges', 'resource.metadata.name'],
    });
  });
});
