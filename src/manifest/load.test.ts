import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { postgresIdentifierSchema } from '../kinds/index.js';
import { loadManifestTexts } from './load.js';
import { expectAt, HEADER, INSTANCE_MAIN, loadOne, only } from './test-helpers.js';

describe('loadManifestTexts: a valid project', () => {
  const instances = `# the server
${HEADER}
kind: PostgresInstance
metadata:
  name: main
  labels: {env: prod}
spec:
  password: {env: PGPASSWORD}
---
---
# an empty document above, a comment-only one here
`;
  const roles = `${HEADER}
kind: PostgresRole
metadata:
  name: app
spec:
  instance: main
  login: true
  protect: true
---
${HEADER}
kind: PostgresRole
metadata:
  name: reporting
spec:
  instance: main
  dependsOn: [PostgresRole/app, PostgresRole/app]
`;
  const databases = `${HEADER}
kind: PostgresDatabase
metadata:
  name: appdb
  annotations: {team: billing}
spec:
  instance: main
  owner: app
  dependsOn: [PostgresRole/reporting]
---
${HEADER}
kind: PostgresDatabase
metadata:
  name: legacy
spec:
  instance: main
  owner: postgres
`;
  const result = loadManifestTexts([
    { file: 'instances.yaml', text: instances },
    { file: 'roles.yml', text: roles },
    { file: 'sub/databases.yaml', text: databases },
  ]);

  it('reports no diagnostics and lists the files', () => {
    expect(result.diagnostics).toEqual([]);
    expect(result.files).toEqual(['instances.yaml', 'roles.yml', 'sub/databases.yaml']);
  });

  it('returns every resource, in declaration order, with its address', () => {
    expect(result.resources.map((r) => r.address)).toEqual([
      'PostgresInstance/main',
      'PostgresRole/app',
      'PostgresRole/reporting',
      'PostgresDatabase/appdb',
      'PostgresDatabase/legacy',
    ]);
    const db = result.resources[3]!;
    expect(db.kind).toBe('PostgresDatabase');
    expect(db.name).toBe('appdb');
  });

  it('applies defaults to metadata and spec', () => {
    const instance = result.resources[0]!;
    expect(instance.metadata).toEqual({ name: 'main', labels: { env: 'prod' }, annotations: {} });
    expect(instance.spec).toEqual({
      host: 'localhost',
      port: 5432,
      database: 'postgres',
      user: 'postgres',
      password: { env: 'PGPASSWORD' },
      sslmode: 'prefer',
    });
    const role = result.resources[1]!;
    expect(role.spec).toMatchObject({ instance: 'main', login: true, superuser: false, inherit: true, connectionLimit: -1, config: {}, comment: null });
    expect(result.resources[3]!.metadata).toEqual({ name: 'appdb', labels: {}, annotations: { team: 'billing' } });
  });

  it('lifts dependsOn and protect out of the spec', () => {
    const app = result.resources[1]!;
    expect(app.protect).toBe(true);
    expect(app.spec).not.toHaveProperty('protect');
    expect(result.resources[0]!.protect).toBe(false);
    expect(result.resources[2]!.spec).not.toHaveProperty('dependsOn');
  });

  it('builds dependsOn from explicit entries and declared references, without repeats', () => {
    const byAddress = new Map(result.resources.map((r) => [r.address, r]));
    expect(byAddress.get('PostgresInstance/main' as never)!.dependsOn).toEqual([]);
    expect(byAddress.get('PostgresRole/app' as never)!.dependsOn).toEqual(['PostgresInstance/main']);
    expect(byAddress.get('PostgresRole/reporting' as never)!.dependsOn).toEqual(['PostgresRole/app', 'PostgresInstance/main']);
    // The owner is a declared role: an edge. The explicit entry comes first.
    expect(byAddress.get('PostgresDatabase/appdb' as never)!.dependsOn).toEqual([
      'PostgresRole/reporting',
      'PostgresInstance/main',
      'PostgresRole/app',
    ]);
    // The owner `postgres` exists outside the manifests: no edge and no error.
    expect(byAddress.get('PostgresDatabase/legacy' as never)!.dependsOn).toEqual(['PostgresInstance/main']);
  });

  it('sets the target and the source location', () => {
    expect(result.resources[0]!.target).toBeUndefined();
    expect(result.resources[0]!.source).toEqual({ file: 'instances.yaml', line: 2, column: 1 });
    expect(result.resources[1]!.target).toBe('PostgresInstance/main');
    expect(result.resources[2]!.source).toEqual({ file: 'roles.yml', line: 10, column: 1 });
    expect(result.resources[4]!.source).toEqual({ file: 'sub/databases.yaml', line: 11, column: 1 });
  });

  it('accepts no files and files holding only comments', () => {
    expect(loadManifestTexts([])).toEqual({ resources: [], diagnostics: [], files: [] });
    expect(loadManifestTexts([{ file: 'e.yaml', text: '# nothing yet\n' }, { file: 'f.yaml', text: '' }]).diagnostics).toEqual([]);
  });

  it('uses the kinds it is given', () => {
    const result = loadManifestTexts([{ file: 'm.yaml', text: INSTANCE_MAIN }], { kinds: new Map() });
    expect(only(result, 'unknown-kind').hint).toBe('Remove the document: no kinds are available here.');
  });
});

describe('loadManifestTexts: YAML problems', () => {
  it('reports a syntax error at the parser position and still validates other documents and files', () => {
    const broken = `${HEADER}
kind: PostgresRole
metadata:
  name: a
spec:
  instance: [main
  login: true
---
${HEADER}
kind: PostgresRole
metadata:
  name: b
spec:
  instance: main
  superuser: maybe
`;
    const result = loadManifestTexts([
      { file: 'broken.yaml', text: broken },
      { file: 'other.yaml', text: INSTANCE_MAIN.replace('spec: {}', 'spec: {sslmode: never}') },
    ]);
    const syntax = only(result, 'yaml-syntax');
    expectAt(syntax, 7, 3, undefined, 'broken.yaml');
    expect(syntax.summary).toMatch(/^YAML syntax error: /);
    expectAt(only(result, 'invalid-type'), 15, 14, ['spec', 'superuser'], 'broken.yaml');
    expectAt(only(result, 'invalid-value'), 5, 17, ['spec', 'sslmode'], 'other.yaml');
  });

  it('reports duplicate keys as a syntax error', () => {
    const result = loadOne(`${INSTANCE_MAIN}spec: {}\n`);
    const d = only(result, 'yaml-syntax');
    expectAt(d, 6, 1);
    expect(d.summary).toMatch(/unique/);
    expect(result.resources).toEqual([]);
  });

  it('still counts a broken document as declared, so references to it are not dangling', () => {
    const result = loadOne(`${INSTANCE_MAIN}  extra: [\n---\n${HEADER}\nkind: PostgresRole\nmetadata: {name: a}\nspec: {instance: main}\n`);
    expect(result.diagnostics.length).toBeGreaterThan(0);
    expect(result.diagnostics.every((d) => d.code === 'yaml-syntax')).toBe(true);
  });

  it('reports a document that is not a mapping', () => {
    const result = loadOne(`- just\n- a list\n---\nplain text\n`);
    const found = result.diagnostics.filter((d) => d.code === 'not-a-mapping');
    expect(found).toHaveLength(2);
    expectAt(found[0]!, 1, 1, []);
    expect(found[0]!.summary).toMatch(/list, not a mapping/);
    expectAt(found[1]!, 4, 1, []);
    expect(found[1]!.summary).toMatch(/string, not a mapping/);
  });

  it('refuses documents whose aliases expand too much', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 0; i < 8; i++) lines.push(`${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(', ')}]`);
    const result = loadOne(`${lines.join('\n')}\n`);
    expect(result.diagnostics.some((d) => d.code === 'yaml-syntax')).toBe(true);
  });
});

describe('loadManifestTexts: the envelope', () => {
  it('reports a missing apiVersion at the start of the document', () => {
    const result = loadOne(`# comment\nkind: PostgresInstance\nmetadata: {name: main}\nspec: {}\n`);
    const d = only(result, 'unknown-api-version');
    expectAt(d, 2, 1, ['apiVersion']);
    expect(d.address).toBe('PostgresInstance/main');
    expect(d.hint).toContain('steward.dev/v1alpha1');
    expect(result.diagnostics).toHaveLength(1);
  });

  it('reports an unknown apiVersion at its value', () => {
    const d = only(loadOne(INSTANCE_MAIN.replace('v1alpha1', 'v2')), 'unknown-api-version');
    expectAt(d, 1, 13, ['apiVersion']);
    expect(d.summary).toContain("'steward.dev/v2'");
    expect(d.hint).toBe('Set apiVersion: steward.dev/v1alpha1.');
  });

  it('reports an unknown kind with the nearest kind name', () => {
    const d = only(loadOne(INSTANCE_MAIN.replace('kind: PostgresInstance', 'kind: PostgresInstanse')), 'unknown-kind');
    expectAt(d, 2, 7, ['kind']);
    expect(d.hint).toBe("Did you mean 'PostgresInstance'?");
    expect(d.address).toBe('PostgresInstanse/main');
  });

  it('lists the kinds when none is close', () => {
    const d = only(loadOne(INSTANCE_MAIN.replace('kind: PostgresInstance', 'kind: Deployment')), 'unknown-kind');
    expect(d.hint).toMatch(/^Use one of 'PostgresInstance', 'PostgresRole', 'PostgresDatabase'/);
  });

  it('reports a missing or mistyped kind', () => {
    expectAt(only(loadOne(`${HEADER}\nmetadata: {name: x}\nspec: {}\n`), 'missing-field'), 1, 1, ['kind']);
    expectAt(only(loadOne(`${HEADER}\nkind: [PostgresRole]\nmetadata: {name: x}\nspec: {}\n`), 'invalid-type'), 2, 7, ['kind']);
  });

  it('reports unknown top-level and metadata fields at their keys, with a suggestion', () => {
    const result = loadOne(`${HEADER}
kind: PostgresInstance
metadata:
  name: main
  label: {a: b}
spec: {}
specs: {}
status: {}
`);
    const unknown = result.diagnostics.filter((d) => d.code === 'unknown-field');
    expect(unknown).toHaveLength(3);
    expectAt(unknown[0]!, 5, 3, ['metadata', 'label']);
    expect(unknown[0]!.hint).toMatch(/did you mean 'labels'\?/i);
    expectAt(unknown[1]!, 7, 1, ['specs']);
    expect(unknown[1]!.hint).toMatch(/did you mean 'spec'\?/i);
    expectAt(unknown[2]!, 8, 1, ['status']);
    expect(unknown[2]!.hint).toBe("Remove the field. The fields allowed in the document are 'apiVersion', 'kind', 'metadata' and 'spec'.");
    expect(unknown.every((d) => d.address === 'PostgresInstance/main')).toBe(true);
  });

  it('reports missing metadata, name and spec', () => {
    const noMetadata = loadOne(`${HEADER}\nkind: PostgresInstance\nspec: {}\n`);
    expectAt(only(noMetadata, 'missing-field'), 1, 1, ['metadata']);
    const noName = loadOne(`${HEADER}\nkind: PostgresInstance\nmetadata:\n  labels: {}\nspec: {}\n`);
    const d = only(noName, 'missing-field');
    expectAt(d, 3, 1, ['metadata', 'name']);
    expect(d.address).toBeUndefined();
    const noSpec = loadOne(`${HEADER}\nkind: PostgresInstance\nmetadata: {name: main}\n`);
    expectAt(only(noSpec, 'missing-field'), 1, 1, ['spec']);
  });

  it('reports a metadata name, label or spec of the wrong type', () => {
    const result = loadOne(`${HEADER}
kind: PostgresInstance
metadata:
  name: 42
  labels:
    tier: 1
spec: [a]
`);
    const types = result.diagnostics.filter((d) => d.code === 'invalid-type');
    expect(types.map((d) => d.path)).toEqual([['metadata', 'name'], ['metadata', 'labels', 'tier'], ['spec']]);
    expectAt(types[0]!, 4, 9);
    expect(types[0]!.summary).toBe('metadata.name has the wrong type: expected a string, received an integer.');
    expect(types[0]!.hint).toMatch(/quote the value/);
    expectAt(types[1]!, 6, 11);
    expectAt(types[2]!, 7, 7);
    expect(types[2]!.summary).toMatch(/expected a mapping, received a list/);
  });

  it('reports an empty spec value at its key', () => {
    const d = only(loadOne(`${HEADER}\nkind: PostgresInstance\nmetadata: {name: main}\nspec:\n`), 'invalid-type');
    expectAt(d, 4, 1, ['spec']);
    expect(d.summary).toMatch(/received null/);
  });
});

describe('loadManifestTexts: spec fields', () => {
  const role = (spec: string): string => `${INSTANCE_MAIN}---
${HEADER}
kind: PostgresRole
metadata:
  name: app
spec:
${spec}`;

  it('reports an unknown field at its key with a did-you-mean hint', () => {
    const result = loadOne(role('  instance: main\n  conectionLimit: 5\n  colour: red\n'));
    const unknown = result.diagnostics.filter((d) => d.code === 'unknown-field');
    expect(unknown).toHaveLength(2);
    expectAt(unknown[0]!, 13, 3, ['spec', 'conectionLimit']);
    expect(unknown[0]!.hint).toMatch(/did you mean 'connectionLimit'\?/i);
    expect(unknown[0]!.address).toBe('PostgresRole/app');
    expectAt(unknown[1]!, 14, 3, ['spec', 'colour']);
    expect(unknown[1]!.hint).toMatch(/^Remove the field\. The fields allowed in spec are 'instance', /);
    expect(unknown[1]!.hint).toContain("'dependsOn' and 'protect'");
  });

  it('suggests lifecycle fields too', () => {
    const d = only(loadOne(role('  instance: main\n  dependOn: [PostgresInstance/main]\n')), 'unknown-field');
    expect(d.hint).toMatch(/did you mean 'dependsOn'\?/i);
  });

  it('reports a mistyped field at its value, saying what was expected and received', () => {
    const d = only(loadOne(role('  instance: main\n  connectionLimit: "five"\n')), 'invalid-type');
    expectAt(d, 13, 20, ['spec', 'connectionLimit']);
    expect(d.summary).toBe('spec.connectionLimit has the wrong type: expected a number, received a string.');
    expect(d.hint).toMatch(/without quotes/);
    expect(d.hint).toContain('-1 means no limit');
  });

  it('reports a non-integer where an integer is required', () => {
    const d = only(loadOne(role('  instance: main\n  connectionLimit: 1.5\n')), 'invalid-type');
    expect(d.summary).toBe('spec.connectionLimit has the wrong type: expected an integer, received a number.');
  });

  it('reports a value matching none of the forms of a union', () => {
    const d = only(loadOne(INSTANCE_MAIN.replace('spec: {}', 'spec:\n  port: [5432]')), 'invalid-type');
    expectAt(d, 6, 9, ['spec', 'port']);
    expect(d.summary).toBe("spec.port has the wrong type: expected a number or a mapping with 'env', received a list.");
  });

  it('reports a problem inside the matching form of a union', () => {
    const result = loadOne(INSTANCE_MAIN.replace('spec: {}', 'spec:\n  host: {env: 1BAD}\n  user: {env: X, extra: 1}'));
    expectAt(only(result, 'invalid-value'), 6, 15, ['spec', 'host', 'env']);
    expectAt(only(result, 'unknown-field'), 7, 18, ['spec', 'user', 'extra']);
  });

  it('explains a union of mappings by the form closest to what was written', () => {
    const autonomy = `${HEADER}\nkind: Autonomy\nmetadata: { name: agent }\nspec:\n  approvals:\n    approvers:\n      - { name: ops }\n`;
    const result = loadOne(autonomy);
    // {user} | {name, tokenSha256}: the second form is one field away, the first two.
    expect(result.diagnostics).toHaveLength(1);
    const d = only(result, 'missing-field');
    expect(d.summary).toBe('Required field spec.approvals.approvers[0].tokenSha256 is missing.');
  });

  it('reports a missing required field at the key of its parent', () => {
    const d = only(loadOne(role('  login: true\n')), 'missing-field');
    expectAt(d, 11, 1, ['spec', 'instance']);
    expect(d.summary).toBe('Required field spec.instance is missing.');
    expect(d.address).toBe('PostgresRole/app');
    expect(d.hint).toContain("Add 'instance' to spec");
    expect(d.hint).toContain('Name of the PostgresInstance');
  });

  it('reports a missing required field of an empty flow mapping', () => {
    const result = loadOne(`${INSTANCE_MAIN}---\n${HEADER}\nkind: PostgresRole\nmetadata: {name: app}\nspec: {}\n`);
    expectAt(only(result, 'missing-field'), 10, 1, ['spec', 'instance']);
  });

  it('reports an enum value that is not allowed, listing the allowed values', () => {
    const d = only(loadOne(INSTANCE_MAIN.replace('spec: {}', 'spec:\n  sslmode: requir')), 'invalid-value');
    expectAt(d, 6, 12, ['spec', 'sslmode']);
    expect(d.hint).toBe("Did you mean 'require'? Use one of 'disable', 'prefer', 'require', 'verify-ca' or 'verify-full'.");
  });

  it('reports range, format and record-key problems as invalid values', () => {
    const result = loadOne(role(`  instance: main
  connectionLimit: -2
  validUntil: tomorrow
  config:
    "bad name": 1
    search_path: []
`));
    const values = result.diagnostics.filter((d) => d.code === 'invalid-value');
    expect(values.map((d) => d.path)).toEqual([
      ['spec', 'connectionLimit'],
      ['spec', 'validUntil'],
      ['spec', 'config', 'bad name'],
      ['spec', 'config', 'search_path'],
    ]);
    expectAt(values[0]!, 13, 20);
    expect(values[0]!.summary).toBe('spec.connectionLimit must be at least -1.');
    expectAt(values[1]!, 14, 15);
    expect(values[1]!.hint).toMatch(/ISO 8601/);
    expectAt(values[2]!, 16, 5);
    expect(values[2]!.summary).toBe("The key 'bad name' in spec.config must be a configuration parameter name such as statement_timeout.");
    expectAt(values[3]!, 17, 18);
    expect(values[3]!.summary).toBe('spec.config.search_path must not be empty.');
  });

  it('reports a literal secret without echoing it', () => {
    const result = loadOne(INSTANCE_MAIN.replace('spec: {}', 'spec:\n  password: "s3cr3t-hunter2"'));
    const d = only(result, 'literal-secret');
    expectAt(d, 6, 13, ['spec', 'password']);
    expect(d.hint).toContain('{env: PGPASSWORD}');
    expect(JSON.stringify(result)).not.toContain('s3cr3t-hunter2');
    expect(result.resources).toEqual([]);
  });

  it('reports a numeric literal secret too', () => {
    const result = loadOne(INSTANCE_MAIN.replace('spec: {}', 'spec:\n  password: 987654321'));
    expectAt(only(result, 'literal-secret'), 6, 13, ['spec', 'password']);
    expect(JSON.stringify(result)).not.toContain('987654321');
  });

  it('reports a mistyped lifecycle field', () => {
    const result = loadOne(role('  instance: main\n  protect: "yes"\n  dependsOn: PostgresInstance/main\n'));
    const types = result.diagnostics.filter((d) => d.code === 'invalid-type');
    expect(types.map((d) => d.path)).toEqual([['spec', 'protect'], ['spec', 'dependsOn']]);
    expectAt(types[0]!, 13, 12);
    expectAt(types[1]!, 14, 14);
    expect(types[1]!.summary).toMatch(/expected a list, received a string/);
  });

  it('collects every problem of every document instead of stopping at the first', () => {
    const result = loadOne(`${HEADER}
kind: PostgresRole
metadata: {name: a}
spec: {login: 1, superuser: 2}
---
${HEADER}
kind: PostgresRole
metadata: {name: b}
spec: {instance: main, createdb: 3}
`);
    expect(result.diagnostics.map((d) => `${d.code}@${d.location?.line}:${d.location?.column}`)).toEqual([
      'missing-field@4:1',
      'invalid-type@4:15',
      'invalid-type@4:29',
      'invalid-type@9:34',
    ]);
  });
});

describe('loadManifestTexts: names', () => {
  it('reports a name the kind rejects as an invalid identifier at metadata.name', () => {
    const result = loadOne(`${INSTANCE_MAIN}---\n${HEADER}\nkind: PostgresRole\nmetadata:\n  name: pg_monitor_copy\nspec: {instance: main}\n`);
    const d = only(result, 'invalid-identifier');
    expectAt(d, 10, 9, ['metadata', 'name']);
    expect(d.summary).toContain('reserved by PostgreSQL');
    expect(d.address).toBe('PostgresRole/pg_monitor_copy');
  });

  it('reports a name longer than PostgreSQL allows', () => {
    const long = 'r'.repeat(64);
    const d = only(loadOne(`${INSTANCE_MAIN}---\n${HEADER}\nkind: PostgresDatabase\nmetadata: {name: ${long}}\nspec: {instance: main}\n`), 'invalid-identifier');
    expectAt(d, 9, 18, ['metadata', 'name']);
    expect(d.summary).toContain('63 bytes');
  });

  it('uses the invalid-identifier code carried by a spec schema', () => {
    const customKinds = new Map([
      [
        'Thing',
        {
          kind: 'Thing',
          description: 'test kind',
          spec: z.strictObject({ label: postgresIdentifierSchema }),
          role: 'managed' as const,
          validateName: () => undefined,
          references: () => [],
          target: () => undefined,
          desiredAttributes: () => ({}),
          fields: {},
        },
      ],
    ]);
    const result = loadManifestTexts([{ file: 'm.yaml', text: `${HEADER}\nkind: Thing\nmetadata: {name: t}\nspec:\n  label: ${'x'.repeat(70)}\n` }], { kinds: customKinds });
    const d = only(result, 'invalid-identifier');
    expectAt(d, 5, 10, ['spec', 'label']);
    expect(d.summary).toContain('70 bytes');
  });
});

describe('loadManifestTexts: text encodings and YAML features', () => {
  it('handles a byte-order mark and CRLF line endings', () => {
    const text = `\uFEFF${INSTANCE_MAIN.replace('spec: {}', 'spec:\n  port: x')}`.replace(/\n/g, '\r\n');
    expectAt(only(loadOne(text), 'invalid-type'), 6, 9, ['spec', 'port']);
  });

  it('reports an alias to an anchor of another document', () => {
    const result = loadOne(`${INSTANCE_MAIN.replace('metadata:', 'metadata: &m')}---\n${HEADER}\nkind: PostgresRole\nmetadata: *m\nspec: {instance: main}\n`);
    const d = only(result, 'yaml-syntax');
    expectAt(d, 7, 1, []);
    expect(d.summary).toMatch(/alias/);
  });
});
