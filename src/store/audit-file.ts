import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { canonicalJson } from '../core/hash.js';
import type { AuditRow } from './audit-hash.js';
import { AuditChainChecker, type AuditHead } from './audit-verify.js';
import type { AuditProblem, AuditVerification } from './types.js';

export interface AuditFileVerification extends AuditVerification {
  /** The last entry read; compare it with the live log's head (or pass that as `head`). */
  readonly lastSeq: number;
  readonly lastHash: string | null;
  /** Whether entries cut off the end were checked for (only possible against a known head). */
  readonly headChecked: boolean;
}

const TEXT_FIELDS = ['time', 'actor', 'action', 'outcome', 'prevHash', 'hash'] as const;
const NULLABLE_FIELDS = ['runId', 'address', 'beforeHash', 'afterHash', 'error'] as const;

/** An exported line back as the stored row (detail as its canonical JSON text), or why it is not one. */
function rowOf(line: string): AuditRow | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return 'it is not JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'it is not a JSON object';
  const entry = value as Record<string, unknown>;
  if (typeof entry['seq'] !== 'number' || !Number.isSafeInteger(entry['seq'])) return 'its seq is not a whole number';
  for (const field of TEXT_FIELDS) if (typeof entry[field] !== 'string') return `its ${field} is not text`;
  for (const field of NULLABLE_FIELDS) if (entry[field] !== null && typeof entry[field] !== 'string') return `its ${field} is neither text nor null`;
  if (!('detail' in entry)) return 'it has no detail';
  let detail: string | null;
  try {
    detail = entry['detail'] === null ? null : canonicalJson(entry['detail']);
  } catch {
    return 'its detail has no canonical form';
  }
  return {
    seq: entry['seq'],
    time: entry['time'] as string,
    actor: entry['actor'] as string,
    runId: entry['runId'] as string | null,
    address: entry['address'] as string | null,
    action: entry['action'] as string,
    beforeHash: entry['beforeHash'] as string | null,
    afterHash: entry['afterHash'] as string | null,
    outcome: entry['outcome'] as string,
    error: entry['error'] as string | null,
    detail,
    prevHash: entry['prevHash'] as string,
    hash: entry['hash'] as string,
  };
}

/**
 * Verifies an export (`steward audit export --format jsonl`) with no database: every line's hash
 * is recomputed from its content, each must link to the line before, and seqs must run from 1
 * without gaps, exactly as `audit verify` checks the live log. Entries cut off the end can only
 * be noticed against the head of the live log (`head`); without it the last line is trusted as
 * the end. Reads line by line, in constant memory.
 */
export async function verifyAuditLines(lines: AsyncIterable<string>, head?: AuditHead): Promise<AuditFileVerification> {
  const checker = new AuditChainChecker();
  const outOfLine: AuditProblem[] = [];
  let last: AuditRow | undefined;
  let number = 0;
  for await (const line of lines) {
    number++;
    if (line.trim() === '') continue;
    const row = rowOf(line);
    if (typeof row === 'string') {
      outOfLine.push({ seq: (last?.seq ?? 0) + 1, problem: 'edited', message: `line ${number} is not an audit entry: ${row}` });
      continue;
    }
    if (last !== undefined && row.seq <= last.seq) {
      // The chain checker expects rising seqs, as the store returns them; a file can hold them in any order.
      outOfLine.push({ seq: row.seq, problem: 'reordered', message: `line ${number} holds entry ${row.seq} after entry ${last.seq}: lines were moved` });
      continue;
    }
    checker.add(row);
    last = row;
  }
  const end: AuditHead | undefined = head ?? (last ? { lastSeq: last.seq, lastHash: last.hash } : { lastSeq: 0, lastHash: '' });
  const result = checker.finish(end);
  const problems = [...outOfLine, ...result.problems].sort((a, b) => a.seq - b.seq);
  return {
    ok: problems.length === 0,
    entries: result.entries,
    problems,
    lastSeq: last?.seq ?? 0,
    lastHash: last?.hash ?? null,
    headChecked: head !== undefined,
  };
}

export function verifyAuditFile(path: string, head?: AuditHead): Promise<AuditFileVerification> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Number.POSITIVE_INFINITY });
  return verifyAuditLines(lines, head);
}

/** `SEQ:HASH`, as `audit export` prints the last entry. */
export function parseAuditHead(text: string): AuditHead | undefined {
  const match = /^(\d+):([0-9a-f]{64})$/.exec(text.trim());
  if (!match) return undefined;
  return { lastSeq: Number(match[1]), lastHash: match[2]! };
}
