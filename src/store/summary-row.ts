import type { StateRecordSummary } from './types.js';

/** A record's summary as an array, in this order: how the store reads it and the plan snapshot keeps it. */
export type SummaryRow = readonly [
  address: string,
  kind: string,
  name: string,
  target: string | null,
  specHash: string,
  providerId: string | null,
  dependencies: readonly string[],
  protect: boolean,
];

export const toSummaryRow = (r: StateRecordSummary): SummaryRow => [r.address, r.kind, r.name, r.target, r.specHash, r.providerId, r.dependencies, r.protect];

/** The summary in `row`, whatever follows its summary's columns. */
export function fromSummaryRow(row: SummaryRow | readonly [...SummaryRow, ...unknown[]]): StateRecordSummary {
  // By index: destructuring an array goes through its iterator, an object per element for 11,100 records.
  return { address: row[0], kind: row[1], name: row[2], target: row[3], specHash: row[4], providerId: row[5], dependencies: row[6], protect: row[7] };
}
