import { describe, expect, it } from 'vitest';
import { documentLocation, locate, parseManifestText } from './yaml-source.js';

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
