import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { canonicalJson, sha256Hex } from '../core/hash.js';
import { exportAuditJsonl } from './audit-export.js';
import { parseAuditHead, verifyAuditFile } from './audit-file.js';
import { backends } from './test-support/backends.js';
import type { AuditInput } from './types.js';

function input(i: number): AuditInput {
  return {
    actor: i % 2 === 0 ? 'alice@ci' : 'agent "steward"',
    runId: i % 3 === 0 ? null : `run-${i % 3}`,
    address: i % 4 === 0 ? null : `PostgresRole/r${i % 4}`,
    action: 'update',
    beforeHash: null,
    afterHash: 'b'.repeat(64),
    outcome: 'succeeded',
    error: i % 5 === 0 ? 'line one\nline two\u0001 naïve ☃ 𝄞' : null,
    detail: i % 2 === 0 ? { z: [1, 2.5, -0, 1e21], a: 'quoted " and \\ and \u2028', nested: { b: null, a: true } } : undefined,
  };
}

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function tempFile(name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'steward-audit-export-'));
  dirs.push(dir);
  return join(dir, name);
}

/** Collects what is written; its tiny buffer makes every write report backpressure, so the exporter must wait for drain. */
function slowSink(): { sink: Writable; text: () => string } {
  let text = '';
  const sink = new Writable({
    highWaterMark: 16,
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      setImmediate(done);
    },
  });
  return { sink, text: () => text };
}

describe.each(backends(inject('pg')))('audit export on the $name backend', (backend) => {
  afterAll(() => backend.dispose());

  it('writes one canonical entry per line with its hash, verifiable offline against the head', async () => {
    const { store } = await (await backend.site()).open();
    const file = await tempFile('audit.jsonl');
    try {
      for (let i = 1; i <= 25; i++) await store.audit.append(input(i));
      const { sink, text } = slowSink();
      const summary = await exportAuditJsonl(store.audit, sink);
      const entries = await store.audit.list();
      expect(summary).toEqual({ entries: 25, lastSeq: 25, lastHash: entries.at(-1)!.hash });
      const lines = text().split('\n');
      expect(lines.pop()).toBe('');
      expect(lines).toHaveLength(25);
      lines.forEach((line, i) => {
        const { hash, ...content } = JSON.parse(line) as { hash: string } & Record<string, unknown>;
        expect(canonicalJson(JSON.parse(line))).toBe(line);
        expect(sha256Hex(canonicalJson(content))).toBe(hash);
        expect(hash).toBe(entries[i]!.hash);
      });

      await writeFile(file, text());
      const head = parseAuditHead(`${summary.lastSeq}:${summary.lastHash!}`);
      expect(await verifyAuditFile(file, head)).toMatchObject({ ok: true, entries: 25, lastSeq: 25, headChecked: true });
      expect(await verifyAuditFile(file)).toMatchObject({ ok: true, entries: 25, headChecked: false });
    } finally {
      await store.close();
    }
  });

  it('exports an empty log as an empty file', async () => {
    const { store } = await (await backend.site()).open();
    try {
      const out = new PassThrough();
      let text = '';
      out.on('data', (d: Buffer) => (text += d.toString()));
      expect(await exportAuditJsonl(store.audit, out)).toEqual({ entries: 0, lastSeq: 0, lastHash: null });
      expect(text).toBe('');
    } finally {
      await store.close();
    }
  });
});

describe('verifying an export offline', () => {
  async function exported(): Promise<{ lines: string[]; head: string }> {
    const [embedded] = backends(inject('pg'));
    const { store } = await (await embedded!.site()).open();
    try {
      for (let i = 1; i <= 10; i++) await store.audit.append(input(i));
      const out = new PassThrough();
      let text = '';
      out.on('data', (d: Buffer) => (text += d.toString()));
      const summary = await exportAuditJsonl(store.audit, out);
      return { lines: text.trimEnd().split('\n'), head: `${summary.lastSeq}:${summary.lastHash!}` };
    } finally {
      await store.close();
      await embedded!.dispose();
    }
  }

  async function check(lines: readonly string[], head?: string): Promise<Awaited<ReturnType<typeof verifyAuditFile>>> {
    const file = await tempFile('tampered.jsonl');
    await writeFile(file, `${lines.join('\n')}\n`);
    return verifyAuditFile(file, head === undefined ? undefined : parseAuditHead(head));
  }

  it('finds an edited byte, a deleted line, reordered lines, a cut-off end and a line that is not an entry', async () => {
    const { lines, head } = await exported();
    expect((await check(lines, head)).ok).toBe(true);

    const edited = [...lines];
    edited[3] = edited[3]!.replace('alice@ci', 'alice@cj').replace('agent \\"steward\\"', 'agent \\"stewarc\\"');
    expect((await check(edited, head)).problems).toEqual([expect.objectContaining({ seq: 4, problem: 'edited' })]);

    const deleted = lines.filter((_, i) => i !== 5);
    expect((await check(deleted, head)).problems).toEqual([expect.objectContaining({ seq: 6, problem: 'missing' })]);

    const reordered = [...lines];
    [reordered[2], reordered[3]] = [reordered[3]!, reordered[2]!];
    expect((await check(reordered, head)).problems.map((p) => p.problem)).toContain('reordered');

    const truncated = lines.slice(0, 8);
    expect((await check(truncated, head)).problems).toEqual([expect.objectContaining({ seq: 9, problem: 'truncated' })]);
    // Without the head, a cut-off end cannot be seen: the result says it was not checked.
    expect(await check(truncated)).toMatchObject({ ok: true, headChecked: false, lastSeq: 8 });

    const garbage = [...lines];
    garbage[6] = '{"not": "an entry"';
    const broken = await check(garbage, head);
    expect(broken.ok).toBe(false);
    expect(broken.problems[0]).toMatchObject({ seq: 7, problem: 'edited', message: 'line 7 is not an audit entry: it is not JSON' });
  });

  it('reads the head as SEQ:HASH only', () => {
    expect(parseAuditHead(`12:${'a'.repeat(64)}`)).toEqual({ lastSeq: 12, lastHash: 'a'.repeat(64) });
    expect(parseAuditHead('12:abc')).toBeUndefined();
    expect(parseAuditHead('x')).toBeUndefined();
  });
});
