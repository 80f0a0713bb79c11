import { sha256Hex } from '../core/hash.js';

/** `prevHash` of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * An audit entry as stored: `detail` is the canonical JSON text of the detail (null when there
 * is none), exactly the bytes that were hashed.
 */
export interface AuditRow {
  readonly seq: number;
  readonly time: string;
  readonly actor: string;
  readonly runId: string | null;
  readonly address: string | null;
  readonly action: string;
  readonly beforeHash: string | null;
  readonly afterHash: string | null;
  readonly outcome: string;
  readonly error: string | null;
  readonly detail: string | null;
  readonly prevHash: string;
  readonly hash: string;
  /**
   * The addresses a batch's entry names, kept beside it for lookups by address (migration 11);
   * null for any other entry. Not hashed: verification checks it against the detail. Absent where
   * the entry was not read from the store (an exported file).
   */
  readonly addresses?: readonly string[] | null;
}

export type AuditRowContent = Omit<AuditRow, 'hash' | 'addresses'>;

/** Characters JSON.stringify escapes (and lone surrogates): anything else is copied as is. */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

const text = (value: string | null): string => {
  if (value === null) return 'null';
  return NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : `"${value}"`;
};

/**
 * The canonical JSON (RFC 8785, as core/hash.ts produces) of an entry without `hash`, or with it
 * when `hash` is given. Written out by hand because the field set is fixed: RFC 8785 serialises
 * strings and numbers as `JSON.stringify` does, and the keys below are in its sort order. This
 * is what lets `verify()` hash a million entries in seconds; the append path checks that it
 * matches `canonicalJson` for every entry it writes, and the tests check it on awkward input.
 */
export function auditJson(row: AuditRowContent, hash?: string): string {
  return (
    `{"action":${text(row.action)},"actor":${text(row.actor)},"address":${text(row.address)}` +
    `,"afterHash":${text(row.afterHash)},"beforeHash":${text(row.beforeHash)},"detail":${row.detail ?? 'null'}` +
    `,"error":${text(row.error)}${hash === undefined ? '' : `,"hash":${text(hash)}`}` +
    `,"outcome":${text(row.outcome)},"prevHash":${text(row.prevHash)},"runId":${text(row.runId)}` +
    `,"seq":${String(row.seq)},"time":${text(row.time)}}`
  );
}

/** The entry hash: SHA-256 of the canonical JSON of every field except `hash`. */
export function auditHash(row: AuditRowContent): string {
  return sha256Hex(auditJson(row));
}
