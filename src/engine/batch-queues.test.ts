import { describe, expect, it } from 'vitest';
import type { PlannedChange } from '../core/index.js';
import { BatchQueues } from './batch-queues.js';

/** A change whose name says where it works: `s2:g7` is in locality `s2`. */
function change(name: string): PlannedChange {
  return { address: `Grant.${name}`, kind: 'Grant', name, action: 'create', target: 't', changes: [], dependsOn: [] } as unknown as PlannedChange;
}

const localityOf = (c: PlannedChange): string => c.name.split(':')[0]!;
const names = (changes: readonly PlannedChange[]): readonly string[] => changes.map((c) => c.name);

/** Queues holding `all` under one key, and a claim that hands each change out once. */
function queued(all: readonly PlannedChange[]) {
  const queues = new BatchQueues();
  for (const c of all) queues.add('k', c);
  const started = new Set<PlannedChange>();
  const claim = (c: PlannedChange): boolean => {
    if (started.has(c)) return false;
    started.add(c);
    return true;
  };
  return { queues, started, claim };
}

describe('handing out ready changes in batches', () => {
  it('without a locality, in the order they became ready, passing over those started elsewhere', () => {
    const all = ['a', 'b', 'c', 'd', 'e'].map(change);
    const { queues, started, claim } = queued(all);
    started.add(all[0]!); // the batch's first change
    started.add(all[2]!); // started on its own
    expect(names(queues.take('k', all[0]!, 2, claim))).toEqual(['b', 'd']);
    expect(names(queues.take('k', all[0]!, 10, claim))).toEqual(['e']);
    expect(queues.take('k', all[0]!, 10, claim)).toEqual([]);
    expect(queues.take('other', all[0]!, 10, claim)).toEqual([]);
  });

  it("with a locality, the first change's own first, then the localities after it in order, wrapping around", () => {
    const all = ['s3:a', 's1:b', 's2:c', 's3:d', 's1:e', 's2:f', 's4:g'].map(change);
    const { queues, started, claim } = queued(all);
    const first = all[2]!; // s2:c
    started.add(first);
    expect(names(queues.take('k', first, 4, claim, localityOf))).toEqual(['s2:f', 's3:a', 's3:d', 's4:g']);
    // What is left (s1) is reached by wrapping around from a later locality.
    const later = change('s5:h');
    queues.add('k', later);
    started.add(later);
    expect(names(queues.take('k', later, 10, claim, localityOf))).toEqual(['s1:b', 's1:e']);
    expect(queues.take('k', later, 10, claim, localityOf)).toEqual([]);
  });

  it('with a locality, takes changes that became ready after earlier batches, and passes over those started elsewhere', () => {
    const all = ['s1:a', 's2:b'].map(change);
    const { queues, started, claim } = queued(all);
    started.add(all[0]!);
    expect(names(queues.take('k', all[0]!, 10, claim, localityOf))).toEqual(['s2:b']);
    const more = ['s1:c', 's2:d', 's1:e', 's0:f'].map(change);
    for (const c of more) queues.add('k', c);
    started.add(more[2]!); // s1:e started on its own
    started.add(more[1]!); // s2:d is the next batch's first
    expect(names(queues.take('k', more[1]!, 10, claim, localityOf))).toEqual(['s0:f', 's1:c']);
    expect(started.size).toBe(all.length + more.length);
  });

  it('takes nothing for a limit of zero', () => {
    const all = ['s1:a', 's1:b'].map(change);
    const { queues, started, claim } = queued(all);
    started.add(all[0]!);
    expect(queues.take('k', all[0]!, 0, claim, localityOf)).toEqual([]);
    expect(names(queues.take('k', all[0]!, 1, claim, localityOf))).toEqual(['s1:b']);
  });
});
