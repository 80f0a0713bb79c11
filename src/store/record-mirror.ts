import { sortByAddress } from './code-points.js';
import { fromSummaryRow, toSummaryRow } from './summary-row.js';
import type { StateRecordSummary } from './types.js';

/** A copy holding the summary's fields only, whatever else `record` has (a whole record's spec and attributes). */
const summaryOf = (record: StateRecordSummary): StateRecordSummary => fromSummaryRow(toSummaryRow(record));

/**
 * The summaries of a store's records as this process last read them whole, with its own writes
 * since: what a plan snapshot holds, without reading every record again at the end of a command.
 * A write that failed leaves it unknown until the next whole read. It is a guess, checked against
 * the store's own digest before it is kept anywhere.
 */
export class RecordMirror {
  #records: Map<string, StateRecordSummary> | undefined;

  /** Everything, as just read from the store. */
  reset(records: readonly StateRecordSummary[]): void {
    this.#records = new Map(records.map((r) => [r.address, summaryOf(r)]));
  }

  put(records: readonly StateRecordSummary[]): void {
    for (const r of records) this.#records?.set(r.address, summaryOf(r));
  }

  remove(address: string): void {
    this.#records?.delete(address);
  }

  forget(): void {
    this.#records = undefined;
  }

  /** In address order (UTF-8 byte order), or undefined when not known. */
  records(): readonly StateRecordSummary[] | undefined {
    return this.#records === undefined ? undefined : sortByAddress([...this.#records.values()]);
  }
}
