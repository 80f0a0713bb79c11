import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../core/hash.js';
import { auditJson, type AuditRow } from './audit-hash.js';
import { AuditChainChecker } from './audit-verify.js';
import { auditHash } from './audit-hash.js';

const awkward = ['', 'plain', 'naïve ☃', '𝄞 astral', '"quotes" and \\ backslash', 'tab\there\nnewline\r', '\u0000\u001f\u007f', '\u2028\u2029', '</script>'];

function row(seq: number, text: string, detail: unknown): AuditRow {
  return {
    seq,
    time: '2025-01-02T03:04:05.678Z',
    actor: text,
    runId: seq % 2 === 0 ? null : text,
    address: text === '' ? null : `PostgresRole/${text}`,
    action: text,
    beforeHash: null,
    afterHash: 'f'.repeat(64),
    outcome: 'pending',
    error: text,
    detail: detail === null ? null : canonicalJson(detail),
    prevHash: '0'.repeat(64),
    hash: '',
  };
}

describe('audit entry serialisation', () => {
  it('is exactly the canonical JSON of the entry, with and without its hash', () => {
    const details: unknown[] = [null, 0, -1.5e-7, 'text', [3, 'x', null], { b: 1, a: { d: [], c: {} }, é: 2, e: 3, '10': 4, '9': 5 }];
    let seq = 1;
    for (const text of awkward) {
      for (const detail of details) {
        const r = row(seq++, text, detail);
        const { hash: _hash, ...content } = r;
        const value = { ...content, detail: detail === null ? null : (JSON.parse(canonicalJson(detail)) as unknown) };
        expect(auditJson(r)).toBe(canonicalJson(value));
        expect(auditJson(r, 'h'.repeat(64))).toBe(canonicalJson({ ...value, hash: 'h'.repeat(64) }));
      }
    }
  });
});

describe('audit chain checker', () => {
  function chain(count: number): AuditRow[] {
    const rows: AuditRow[] = [];
    let prevHash = '0'.repeat(64);
    for (let seq = 1; seq <= count; seq++) {
      const r = { ...row(seq, `actor ${seq}`, { n: seq }), prevHash };
      const hashed = { ...r, hash: auditHash(r) };
      rows.push(hashed);
      prevHash = hashed.hash;
    }
    return rows;
  }

  it('reports entries renumbered after a deletion as moved, and the cut as missing', () => {
    const rows = chain(8);
    // Entry 4 deleted, 5..8 renumbered 4..7 to hide the gap; the head still says 8.
    const tampered = [...rows.slice(0, 3), ...rows.slice(4).map((r) => ({ ...r, seq: r.seq - 1 }))];
    const checker = new AuditChainChecker();
    for (const r of tampered) checker.add(r);
    const result = checker.finish({ lastSeq: 8, lastHash: rows[7]!.hash });
    expect(result.problems.map((p) => [p.seq, p.problem])).toEqual([
      [4, 'reordered'],
      [5, 'reordered'],
      [6, 'reordered'],
      [7, 'reordered'],
      [8, 'truncated'],
    ]);
    expect(result.problems[0]?.message).toContain('entry 5');
  });

  it('reports a chain that does not start at the genesis hash', () => {
    const rows = chain(3);
    const checker = new AuditChainChecker();
    for (const r of rows.slice(1).map((x) => ({ ...x }))) checker.add(r);
    const result = checker.finish({ lastSeq: 3, lastHash: rows[2]!.hash });
    expect(result.problems.map((p) => [p.seq, p.problem])).toEqual([[1, 'missing']]);
  });
});
