import type { PlannedChange } from '../core/index.js';

/** Ready changes of one locality, in the order they became ready; `next` skips those handed out. */
interface Bucket {
  readonly items: PlannedChange[];
  next: number;
}

/** The ready changes of one batch key. */
interface Queue {
  /** In the order they became ready (moving an index, not shift(): thousands can be ready at once). */
  readonly items: PlannedChange[];
  next: number;
  /** The same changes by locality, filled from `items` once a locality is known. */
  readonly buckets: Map<string, Bucket>;
  /** The localities of `buckets`, sorted. */
  localities: string[];
}

/** Where `locality` goes in the sorted `localities`: the index of the first one not before it. */
function lowerBound(localities: readonly string[], locality: string): number {
  let lo = 0;
  let hi = localities.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (localities[mid]! < locality) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The ready changes that may share a batch, by batch key, handed out in batches (see `applyPlan`).
 * A change may also be started on its own elsewhere: `take` asks `claim` before handing one out,
 * and a change already started is passed over.
 *
 * Without a locality, a batch takes the changes in the order they became ready. With one (see
 * `BatchCapability.locality`), it takes those of the first change's locality, then those of the
 * localities after it in order (wrapping around): a batch of grants then spans a few schemas
 * instead of every schema its grantees touch, and its verification reads only those.
 */
export class BatchQueues {
  readonly #queues = new Map<string, Queue>();

  add(key: string, change: PlannedChange): void {
    const queue = this.#queues.get(key);
    if (queue) queue.items.push(change);
    else this.#queues.set(key, { items: [change], next: 0, buckets: new Map(), localities: [] });
  }

  /**
   * Up to `limit` more changes of `key` besides `first` (which has been claimed already), each
   * claimed as it is taken: `claim` returns false for a change that was started elsewhere.
   */
  take(
    key: string,
    first: PlannedChange,
    limit: number,
    claim: (change: PlannedChange) => boolean,
    locality?: (change: PlannedChange) => string,
  ): PlannedChange[] {
    const queue = this.#queues.get(key);
    const taken: PlannedChange[] = [];
    if (queue === undefined || limit <= 0) return taken;
    if (locality === undefined) {
      takeFrom(queue, first, limit, claim, taken);
      return taken;
    }
    // Every change that became ready since the last batch goes to its locality's bucket.
    for (; queue.next < queue.items.length; queue.next++) {
      const change = queue.items[queue.next]!;
      const where = locality(change);
      const bucket = queue.buckets.get(where);
      if (bucket) bucket.items.push(change);
      else {
        queue.buckets.set(where, { items: [change], next: 0 });
        queue.localities.splice(lowerBound(queue.localities, where), 0, where);
      }
    }
    const { localities, buckets } = queue;
    if (localities.length === 0) return taken;
    const start = lowerBound(localities, locality(first));
    const emptied = new Set<string>();
    for (let step = 0; step < localities.length && taken.length < limit; step++) {
      const where = localities[(start + step) % localities.length]!;
      const bucket = buckets.get(where)!;
      takeFrom(bucket, first, limit, claim, taken);
      if (bucket.next === bucket.items.length) emptied.add(where);
    }
    if (emptied.size > 0) {
      for (const where of emptied) buckets.delete(where);
      queue.localities = localities.filter((where) => !emptied.has(where));
    }
    return taken;
  }
}

/** Claims changes from `from` in order until `taken` holds `limit`. */
function takeFrom(
  from: { readonly items: readonly PlannedChange[]; next: number },
  first: PlannedChange,
  limit: number,
  claim: (change: PlannedChange) => boolean,
  taken: PlannedChange[],
): void {
  while (from.next < from.items.length && taken.length < limit) {
    const change = from.items[from.next++]!;
    if (change !== first && claim(change)) taken.push(change);
  }
}
