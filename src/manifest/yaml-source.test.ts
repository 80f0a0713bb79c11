import { describe, expect, it } from 'vitest';
import { documentLocation, locate } from './locations.js';
import { jsonRead, parseManifestText, parseWithPositions } from './yaml-source.js';

const TEXT = `# leading comment
top: 1
spec:
  list:
    - a
    - {deep: true}
  empty:
  anchored: &x {inner: 1}
  aliased: *x
---
---
# comment only
---
second: doc
`;

describe('parseManifestText', () => {
  const parsed = parseManifestText('f.yaml', TEXT);

  it('skips empty and comment-only documents', () => {
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.documents.map((d) => d.index)).toEqual([0, 3]);
    expect(parsed.documents.map((d) => d.broken)).toEqual([false, false]);
  });

  it('locates a document at its first token', () => {
    expect(documentLocation(parsed.documents[0]!)).toEqual({ file: 'f.yaml', line: 2, column: 1 });
    expect(documentLocation(parsed.documents[1]!)).toEqual({ file: 'f.yaml', line: 14, column: 1 });
  });

  it('locates values, keys, sequence items and aliases', () => {
    const doc = parsed.documents[0]!;
    expect(locate(doc, ['top'], 'value')).toMatchObject({ line: 2, column: 6 });
    expect(locate(doc, ['top'], 'key')).toMatchObject({ line: 2, column: 1 });
    expect(locate(doc, ['spec', 'list', 1, 'deep'], 'value')).toMatchObject({ line: 6, column: 14 });
    expect(locate(doc, ['spec', 'aliased', 'inner'], 'value')).toMatchObject({ line: 8, column: 24 });
    expect(locate(doc, ['spec', 'aliased'], 'value')).toMatchObject({ line: 9, column: 12 });
  });

  it('locates an empty value at its key and a missing field at its parent key', () => {
    const doc = parsed.documents[0]!;
    expect(locate(doc, ['spec', 'empty'], 'value')).toMatchObject({ line: 7, column: 3 });
    expect(locate(doc, ['spec', 'missing'], 'value')).toMatchObject({ line: 3, column: 1 });
    expect(locate(doc, ['spec', 'list', 9], 'value')).toMatchObject({ line: 4, column: 3 });
    expect(locate(doc, ['missing'], 'value')).toMatchObject({ line: 2, column: 1 });
  });

  it('reports syntax errors per document, with the parser position, and marks the document broken', () => {
    const broken = parseManifestText('g.yaml', 'a: 1\n---\nb: 1\n  c: 2\n---\nc: 3\n');
    expect(broken.documents.map((d) => d.broken)).toEqual([false, true, false]);
    expect(broken.diagnostics.length).toBeGreaterThan(0);
    const d = broken.diagnostics[0]!;
    expect(d.code).toBe('yaml-syntax');
    expect(d.location).toMatchObject({ file: 'g.yaml', line: 3 });
    expect(d.summary).not.toContain('\n');
    expect(d.hint).toBeTruthy();
  });

  it('reports tabs used for indentation', () => {
    const tabs = parseManifestText('t.yaml', 'a:\n\tb: 1\n');
    expect(tabs.diagnostics[0]).toMatchObject({ code: 'yaml-syntax', severity: 'error', location: { line: 2, column: 1 } });
  });

  it('reports unknown tags as warnings', () => {
    const tagged = parseManifestText('w.yaml', 'a: !Secret x\n');
    expect(tagged.diagnostics).toHaveLength(1);
    expect(tagged.diagnostics[0]).toMatchObject({ code: 'yaml-syntax', severity: 'warning', location: { line: 1, column: 4 } });
  });
});

describe('the fast reader', () => {
  const CLEAN = `# roles
apiVersion: steward.dev/v1alpha1
kind: PostgresRole
metadata:
  name: app
spec:
  privileges: [select, insert]
  limits: {connections: 0x10, ratio: -.5e3, big: 0b11, octal: 0o17}
---
{"kind": "PostgresRole", "metadata": {"name": "json"}, "spec": {"note": "\\u00e9"}}
`;

  it('reads a clean file without positions, with the same values and locations as the positional parser', () => {
    const fast = parseManifestText('c.yaml', CLEAN);
    const slow = parseWithPositions('c.yaml', CLEAN);
    expect(fast.diagnostics).toEqual([]);
    expect(fast.documents.map((d) => d.index)).toEqual(slow.documents.map((d) => d.index));
    expect(fast.documents.map((d) => d.value)).toEqual(slow.documents.map((d) => d.document.toJS()));
    expect(fast.documents[0]!.value).toMatchObject({ spec: { limits: { connections: 16, ratio: -500, big: '0b11', octal: 15 } } });
    const [first, second] = fast.documents;
    expect(documentLocation(first!)).toEqual({ file: 'c.yaml', line: 2, column: 1 });
    expect(documentLocation(second!)).toEqual({ file: 'c.yaml', line: 10, column: 1 });
    expect(locate(first!, ['spec', 'privileges', 1], 'value')).toEqual(locate(slow.documents[0]!, ['spec', 'privileges', 1], 'value'));
    expect(locate(first!, ['spec', 'privileges', 1], 'value')).toMatchObject({ line: 7, column: 24 });
    expect(locate(second!, ['metadata', 'name'], 'value')).toMatchObject({ line: 10, column: 47 });
  });

  it('leaves to the positional parser what it cannot read as the positional parser would', () => {
    const cases = {
      'a syntax error': 'a: b: c\n',
      'a duplicate key': 'a: 1\na: 2\n',
      'an alias': 'a: &x {b: 1}\nc: *x\n',
      'a version directive': '%YAML 1.1\n---\na: yes\n',
      'an empty document': 'a: 1\n---\n',
      'a document that is not a mapping': '- a\n',
      'a complex key': '[a]: 1\n',
      'an unknown tag': 'a: !Secret x\n',
    };
    for (const [what, text] of Object.entries(cases)) {
      const parsed = parseManifestText('x.yaml', text);
      const slow = parseWithPositions('x.yaml', text);
      expect(parsed.diagnostics, what).toEqual(slow.diagnostics);
      expect(parsed.documents.map((d) => [d.index, d.broken, d.value, d.document.toJS()]), what).toEqual(slow.documents.map((d) => [d.index, d.broken, undefined, d.document.toJS()]));
    }
  });
});

describe('files of JSON documents', () => {
  const json = (value: unknown, space?: number | string): string => JSON.stringify(value, null, space);
  const ROLE = { apiVersion: 'steward.dev/v1alpha1', kind: 'PostgresRole', metadata: { name: 'app' }, spec: { privileges: ['select'] } };
  const ODD = { a: '\u00e9 \ud83d\ude00 "quoted" back\\slash /', b: [1, -0.5, 1e21, 12345678901234567890, true, null], 'c:d': { '': {} } };

  it('are read by JSON.parse, with the values and document indices of the positional parser', () => {
    const files = {
      'one line each after markers': `---\n${json(ROLE)}\n---\n${json(ODD)}\n`,
      'no marker before the first': `${json(ROLE)}\n---\n${json(ODD)}`,
      'pretty-printed, CRLF line ends': `---\r\n${json(ROLE, 2).replace(/\n/g, '\r\n')}\r\n--- \r\n${json(ODD, '\t')}\r\n`,
      'escapes in keys': '{"a\\"b": 1, "a\\\\": {"x": "y\\":"}}',
    };
    for (const [what, text] of Object.entries(files)) {
      const values = jsonRead(text);
      expect(values, what).toBeDefined();
      const fast = parseManifestText('j.yaml', text);
      const slow = parseWithPositions('j.yaml', text);
      expect(slow.diagnostics, what).toEqual([]);
      expect(fast.diagnostics, what).toEqual([]);
      expect(fast.documents.map((d) => [d.index, d.value]), what).toEqual(slow.documents.map((d) => [d.index, d.document.toJS()]));
      expect(values, what).toEqual(slow.documents.map((d) => d.document.toJS()));
    }
  });

  it('leave to the YAML readers what JSON.parse would read differently or not at all', () => {
    const cases = {
      'a repeated key': '{"a": 1, "a": 2}',
      'a repeated nested key': `---\n${json(ROLE)}\n---\n{"spec": {"x": [{"k": 1, "k": 1}]}}\n`,
      'an empty document': `${json(ROLE)}\n---\n---\n${json(ROLE)}\n`,
      'a comment': `# roles\n${json(ROLE)}\n`,
      'a flow mapping that is not JSON': '{a: 1}\n',
      'a document that is an array': '[1, 2]\n',
      'a marker with content on its line': `--- ${json(ROLE)}\n`,
      'an empty file': '',
    };
    for (const [what, text] of Object.entries(cases)) {
      expect(jsonRead(text), what).toBeUndefined();
      const parsed = parseManifestText('x.yaml', text);
      const slow = parseWithPositions('x.yaml', text);
      expect(parsed.diagnostics, what).toEqual(slow.diagnostics);
      expect(parsed.documents.map((d) => [d.index, d.broken, d.document.toJS()]), what).toEqual(slow.documents.map((d) => [d.index, d.broken, d.document.toJS()]));
    }
    expect(parseManifestText('x.yaml', '{"a": 1, "a": 2}').diagnostics.map((d) => d.summary)).toEqual([expect.stringContaining('unique')]);
  });
});
