import type { JsonValue } from '../core/resource.js';
import { GENESIS_HASH, auditHash, type AuditRow } from './audit-hash.js';
import { indexedAddresses, isBatchEntry } from './audit-pages.js';
import type { AuditProblem, AuditVerification } from './types.js';

/** The recorded end of the chain (`steward.audit_head`), or undefined if that row is gone. */
export interface AuditHead {
  readonly lastSeq: number;
  readonly lastHash: string;
}

/** What an entry's `addresses` must hold (see `indexedAddresses`); only a batch's entry has its detail parsed. */
function addressesNamedBy(row: AuditRow): readonly string[] | null {
  if (!isBatchEntry(row)) return null;
  let detail: JsonValue | null = null;
  try {
    detail = row.detail === null ? null : (JSON.parse(row.detail) as JsonValue);
  } catch {
    // Unreadable text names no addresses.
  }
  return indexedAddresses({ action: row.action, address: row.address, detail });
}

function sameAddresses(stored: readonly string[] | null, named: readonly string[] | null): boolean {
  if (stored === null || named === null) return stored === named;
  return stored.length === named.length && stored.every((address, i) => address === named[i]);
}

/** How far (in seqs) to look for where a moved entry came from. */
const REORDER_WINDOW = 32;
/** Bound on that search, so a log damaged throughout is still checked in linear time. */
const MAX_REORDER_SEARCHES = 1000;

interface Previous {
  readonly seq: number;
  readonly hash: string;
  /** Already reported as edited or moved: a broken link right after it is explained by that. */
  readonly flagged: boolean;
}

/**
 * Checks a chain fed entry by entry in seq order, in constant memory (apart from the problems).
 * Each entry's hash is recomputed (a mismatch means it was edited, or moved if it hashes under a
 * nearby seq), seqs must be consecutive from 1 (a gap means deleted entries), and each
 * `prevHash` must be the previous entry's hash (a break between two intact entries means the
 * earlier one was replaced with a recomputed hash). `finish` compares the end with the head.
 */
export class AuditChainChecker {
  #entries = 0;
  #previous: Previous | undefined;
  #offsetHint = 0;
  #searches = 0;
  readonly #problems: AuditProblem[] = [];

  add(row: AuditRow): void {
    this.#entries++;
    const previous = this.#previous;
    const expectedSeq = (previous?.seq ?? 0) + 1;
    const gap = row.seq > expectedSeq;
    if (gap) {
      const last = row.seq - 1;
      this.#problems.push({
        seq: expectedSeq,
        problem: 'missing',
        message:
          last === expectedSeq
            ? `entry ${expectedSeq} is missing (deleted)`
            : `entries ${expectedSeq} to ${last} are missing (deleted)`,
      });
    }
    let flagged = false;
    if (auditHash(row) !== row.hash) {
      flagged = true;
      const origin = this.#originalSeq(row);
      this.#problems.push(
        origin === undefined
          ? { seq: row.seq, problem: 'edited', message: `entry ${row.seq} was edited: its content does not match its hash` }
          : {
              seq: row.seq,
              problem: 'reordered',
              message: `entry ${row.seq} was moved: the entry stored there is entry ${origin}`,
            },
      );
    } else if (!gap && previous?.flagged !== true && row.prevHash !== (previous?.hash ?? GENESIS_HASH)) {
      this.#problems.push(
        previous === undefined
          ? { seq: row.seq, problem: 'edited', message: `entry ${row.seq} does not link to the start of the chain` }
          : {
              seq: previous.seq,
              problem: 'edited',
              message: `entry ${previous.seq} was replaced (its hash was recomputed): entry ${row.seq} links to a different entry`,
            },
      );
    }
    // Not part of the hash: an edit here would hide the entry from lookups by address.
    if (!flagged && row.addresses !== undefined && !sameAddresses(row.addresses, addressesNamedBy(row))) {
      this.#problems.push({
        seq: row.seq,
        problem: 'edited',
        message: `entry ${row.seq} was edited: the addresses kept for lookups by address are not those its detail names`,
      });
    }
    this.#previous = { seq: row.seq, hash: row.hash, flagged };
  }

  finish(head: AuditHead | undefined): AuditVerification {
    const last = this.#previous;
    const lastSeq = last?.seq ?? 0;
    if (head === undefined) {
      this.#problems.push({
        seq: lastSeq + 1,
        problem: 'truncated',
        message: 'the audit head record is missing, so entries cut off the end cannot be ruled out',
      });
    } else if (head.lastSeq > lastSeq) {
      const first = lastSeq + 1;
      this.#problems.push({
        seq: first,
        problem: 'truncated',
        message:
          first === head.lastSeq
            ? `entry ${first} was cut off the end of the log (the head records ${head.lastSeq})`
            : `entries ${first} to ${head.lastSeq} were cut off the end of the log (the head records ${head.lastSeq})`,
      });
    } else if (last !== undefined && head.lastSeq === lastSeq && head.lastHash !== last.hash && !last.flagged) {
      this.#problems.push({
        seq: lastSeq,
        problem: 'edited',
        message: `entry ${lastSeq} was replaced (its hash was recomputed): it does not match the hash recorded in the head`,
      });
    }
    return { ok: this.#problems.length === 0, entries: this.#entries, problems: [...this.#problems] };
  }

  /** The seq under which `row` hashes correctly, if it is a nearby one: the entry was moved. */
  #originalSeq(row: AuditRow): number | undefined {
    if (this.#searches >= MAX_REORDER_SEARCHES) return undefined;
    this.#searches++;
    const candidates: number[] = [];
    // Entries shifted together (e.g. renumbered after a deletion) share one offset: try it first.
    if (this.#offsetHint !== 0) candidates.push(row.seq + this.#offsetHint);
    for (let distance = 1; distance <= REORDER_WINDOW; distance++) candidates.push(row.seq - distance, row.seq + distance);
    for (const seq of candidates) {
      if (seq < 1 || seq === row.seq) continue;
      if (auditHash({ ...row, seq }) === row.hash) {
        this.#offsetHint = seq - row.seq;
        return seq;
      }
    }
    return undefined;
  }
}
