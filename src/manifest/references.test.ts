import { describe, expect, it } from 'vitest';
import { loadManifestTexts } from './load.js';
import { expectAt, HEADER, INSTANCE_MAIN, loadOne, only } from './test-helpers.js';

const role = (name: string, spec: string): string => `${HEADER}
kind: PostgresRole
metadata:
  name: ${name}
spec:
${spec}`;

describe('duplicate names', () => {
  it('reports the second declaration, even in another file, naming the first', () => {
    const result = loadManifestTexts([
      { file: 'a.yaml', text: `${INSTANCE_MAIN}---\n${role('app', '  instance: main\n')}` },
      { file: 'b.yaml', text: `# again\n${role('app', '  instance: main\n  login: true\n')}` },
    ]);
    const d = only(result, 'duplicate-name');
    expectAt(d, 5, 9, ['metadata', 'name'], 'b.yaml');
    expect(d.address).toBe('PostgresRole/app');
    expect(d.detail).toBe('First declared at a.yaml:10:9.');
    expect(result.resources.map((r) => r.address)).toEqual(['PostgresInstance/main', 'PostgresRole/app']);
    expect(result.resources[1]!.spec).toMatchObject({ login: false });
  });

  it('allows the same name for different kinds', () => {
    const result = loadOne(`${INSTANCE_MAIN}---\n${role('main', '  instance: main\n')}`);
    expect(result.diagnostics).toEqual([]);
  });

  it('reports a duplicate of a document that has other errors', () => {
    const result = loadOne(`${INSTANCE_MAIN}---\n${role('app', '  instance: main\n  login: 3\n')}---\n${role('app', '  instance: main\n')}`);
    expect(result.diagnostics.map((d) => d.code)).toEqual(['invalid-type', 'duplicate-name']);
  });
});

describe('dangling references', () => {
  it('reports a required reference to an undeclared resource at the field, with close names', () => {
    const result = loadOne(`${INSTANCE_MAIN}---\n${role('app', '  instance: mian\n')}`);
    const d = only(result, 'dangling-reference');
    expectAt(d, 12, 13, ['spec', 'instance']);
    expect(d.summary).toBe('spec.instance names PostgresInstance/mian, which is not declared.');
    expect(d.hint).toBe("Did you mean 'main'? Otherwise declare a PostgresInstance named 'mian'.");
    expect(d.address).toBe('PostgresRole/app');
  });

  it('lists the declared names of the kind when none is close', () => {
    const result = loadOne(`${INSTANCE_MAIN}---\n${role('app', '  instance: warehouse\n')}`);
    expect(only(result, 'dangling-reference').hint).toBe("Use a declared PostgresInstance ('main'), or declare one named 'warehouse'.");
  });

  it('says to declare the target when there is none of its kind', () => {
    const d = only(loadOne(role('app', '  instance: main\n')), 'dangling-reference');
    expectAt(d, 6, 13, ['spec', 'instance']);
    expect(d.hint).toBe("Declare a PostgresInstance named 'main' in the manifests.");
  });

  it('ignores an optional reference to an undeclared resource', () => {
    const result = loadOne(`${INSTANCE_MAIN}---\n${HEADER}\nkind: PostgresDatabase\nmetadata: {name: db}\nspec: {instance: main, owner: someone}\n`);
    expect(result.diagnostics).toEqual([]);
    expect(result.resources[1]!.dependsOn).toEqual(['PostgresInstance/main']);
  });

  it('reports dependsOn entries that are malformed, of an unknown kind or undeclared, each at its entry', () => {
    const result = loadOne(`${INSTANCE_MAIN}---\n${role('app', '  instance: main\n  dependsOn:\n    - app\n    - PostgresRol/x\n    - PostgresRole/ap\n    - PostgresInstance/main\n')}`);
    const dangling = result.diagnostics.filter((d) => d.code === 'dangling-reference');
    expect(dangling).toHaveLength(3);
    expectAt(dangling[0]!, 14, 7, ['spec', 'dependsOn', 0]);
    expect(dangling[0]!.summary).toBe("spec.dependsOn[0] 'app' is not a resource address.");
    expect(dangling[0]!.hint).toMatch(/Kind\/name/);
    expectAt(dangling[1]!, 15, 7, ['spec', 'dependsOn', 1]);
    expect(dangling[1]!.hint).toBe("Did you mean 'PostgresRole/x'?");
    expectAt(dangling[2]!, 16, 7, ['spec', 'dependsOn', 2]);
    expect(dangling[2]!.hint).toBe("Did you mean 'app'? Otherwise declare a PostgresRole named 'ap'.");
  });

  it('does not report a reference to a declared document that has errors', () => {
    const result = loadOne(`${INSTANCE_MAIN.replace('spec: {}', 'spec: {port: x}')}---\n${role('app', '  instance: main\n')}`);
    expect(result.diagnostics.map((d) => d.code)).toEqual(['invalid-type']);
    expect(result.resources.map((r) => r.address)).toEqual(['PostgresRole/app']);
    expect(result.resources[0]!.dependsOn).toEqual(['PostgresInstance/main']);
  });

  it('checks dependsOn of a document whose spec has other errors', () => {
    const result = loadOne(`${INSTANCE_MAIN}---\n${role('app', '  instance: main\n  login: 3\n  dependsOn: [PostgresRole/nobody]\n')}`);
    expect(result.diagnostics.map((d) => d.code)).toEqual(['invalid-type', 'dangling-reference']);
  });
});

describe('dependency cycles', () => {
  it('reports one diagnostic per cycle, spelled from its first resource and located there', () => {
    const result = loadOne(
      [
        INSTANCE_MAIN,
        role('c', '  instance: main\n  dependsOn: [PostgresRole/a]\n'),
        role('b', '  instance: main\n  dependsOn: [PostgresRole/c]\n'),
        role('a', '  instance: main\n  dependsOn: [PostgresRole/b]\n'),
        role('x', '  instance: main\n  dependsOn: [PostgresRole/y]\n'),
        role('y', '  instance: main\n  dependsOn: [PostgresRole/x]\n'),
      ].join('---\n'),
    );
    const cycles = result.diagnostics.filter((d) => d.code === 'dependency-cycle');
    expect(cycles.map((d) => d.summary)).toEqual([
      'Dependency cycle: PostgresRole/a -> PostgresRole/b -> PostgresRole/c -> PostgresRole/a.',
      'Dependency cycle: PostgresRole/x -> PostgresRole/y -> PostgresRole/x.',
    ]);
    expectAt(cycles[0]!, 29, 15, ['spec', 'dependsOn', 0]);
    expect(cycles[0]!.address).toBe('PostgresRole/a');
    expectAt(cycles[1]!, 37, 15, ['spec', 'dependsOn', 0]);
    expect(result.diagnostics).toHaveLength(2);
  });

  it('finds cycles that run through spec references', () => {
    const result = loadOne(`${INSTANCE_MAIN.replace('spec: {}', 'spec:\n  dependsOn: [PostgresRole/app]')}---\n${role('app', '  instance: main\n')}`);
    const d = only(result, 'dependency-cycle');
    expect(d.summary).toBe('Dependency cycle: PostgresInstance/main -> PostgresRole/app -> PostgresInstance/main.');
    expectAt(d, 6, 15, ['spec', 'dependsOn', 0]);
  });

  it('reports a resource that depends on itself', () => {
    const d = only(loadOne(`${INSTANCE_MAIN}---\n${role('app', '  instance: main\n  dependsOn: [PostgresRole/app]\n')}`), 'dependency-cycle');
    expect(d.summary).toBe('Dependency cycle: PostgresRole/app -> PostgresRole/app.');
    expectAt(d, 13, 15, ['spec', 'dependsOn', 0]);
  });
});

describe('references by what a resource is', () => {
  it('orders a grant and default privileges after the schema they name, whatever its metadata.name', () => {
    const result = loadOne(`${INSTANCE_MAIN}
---
${HEADER}
kind: PostgresSchema
metadata: { name: app-billing }
spec: { instance: main, database: app, schema: billing }
---
${HEADER}
kind: PostgresGrant
metadata: { name: readers }
spec:
  instance: main
  grantee: readers
  privileges: [SELECT]
  on: { type: table, database: app, schema: billing, all: true }
---
${HEADER}
kind: PostgresDefaultPrivileges
metadata: { name: readers-future }
spec: { instance: main, database: app, owner: app_owner, schema: billing, objectType: tables, grantee: readers, privileges: [SELECT] }
---
${HEADER}
kind: PostgresGrant
metadata: { name: elsewhere }
spec:
  instance: main
  grantee: readers
  privileges: [USAGE]
  on: { type: schema, database: other, names: [billing] }
`);
    expect(result.diagnostics).toEqual([]);
    const deps = new Map(result.resources.map((r) => [r.address as string, r.dependsOn as readonly string[]]));
    expect(deps.get('PostgresGrant/readers')).toContain('PostgresSchema/app-billing');
    expect(deps.get('PostgresDefaultPrivileges/readers-future')).toContain('PostgresSchema/app-billing');
    // Same schema name in another database: a different schema, so no edge.
    expect(deps.get('PostgresGrant/elsewhere')).not.toContain('PostgresSchema/app-billing');
  });
});
