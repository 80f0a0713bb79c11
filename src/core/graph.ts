/**
 * A directed graph where an edge `from -> to` means `from` depends on `to` (`to` goes first).
 * Pure; used for validation (cycles) and ordering (apply, destroy).
 */
export interface DependencyGraph<Node extends string> {
  readonly nodes: readonly Node[];
  /** Dependencies of each node; only nodes present in `nodes` are kept. */
  readonly dependencies: ReadonlyMap<Node, readonly Node[]>;
}

export function buildGraph<Node extends string>(
  nodes: readonly Node[],
  dependenciesOf: (node: Node) => readonly Node[],
): DependencyGraph<Node> {
  const present = new Set(nodes);
  const dependencies = new Map<Node, readonly Node[]>();
  for (const node of nodes) {
    dependencies.set(node, [...new Set(dependenciesOf(node).filter((d) => present.has(d) && d !== node))]);
  }
  return { nodes: [...nodes], dependencies };
}

/** Every elementary cycle found by a depth-first search, each spelled from its smallest node. */
export function findCycles<Node extends string>(graph: DependencyGraph<Node>): readonly (readonly Node[])[] {
  const state = new Map<Node, 'visiting' | 'done'>();
  const stack: Node[] = [];
  const cycles = new Map<string, readonly Node[]>();
  const visit = (node: Node): void => {
    state.set(node, 'visiting');
    stack.push(node);
    for (const dep of graph.dependencies.get(node) ?? []) {
      const s = state.get(dep);
      if (s === 'visiting') {
        const cycle = stack.slice(stack.indexOf(dep));
        const rotated = rotateToSmallest(cycle);
        cycles.set(rotated.join('\u0000'), rotated);
      } else if (s === undefined) {
        visit(dep);
      }
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of [...graph.nodes].sort()) if (!state.has(node)) visit(node);
  return [...cycles.values()];
}

function rotateToSmallest<Node extends string>(cycle: readonly Node[]): readonly Node[] {
  let min = 0;
  cycle.forEach((n, i) => {
    if (n < cycle[min]!) min = i;
  });
  return [...cycle.slice(min), ...cycle.slice(0, min)];
}

/**
 * A binary min-heap of strings in code-unit order (the order `Array.prototype.sort` gives them).
 * The ready set of {@link topologicalOrder} lives in one, so taking the smallest node and adding
 * a newly ready one cost O(log n) each — re-sorting an array after every push, and `shift()`
 * on it, made ordering 11,000 changes quadratic.
 */
class MinHeap<T extends string> {
  readonly #items: T[] = [];

  get size(): number {
    return this.#items.length;
  }

  push(item: T): void {
    const items = this.#items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent]! <= item) break;
      items[i] = items[parent]!;
      i = parent;
    }
    items[i] = item;
  }

  pop(): T | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= items.length) break;
      const right = left + 1;
      const child = right < items.length && items[right]! < items[left]! ? right : left;
      if (items[child]! >= last) break;
      items[i] = items[child]!;
      i = child;
    }
    items[i] = last;
    return top;
  }
}

/**
 * Dependencies first; ties broken by name so the order is stable: of the nodes whose
 * dependencies are all placed, the smallest name goes next. Throws if the graph has a cycle
 * (callers validate with {@link findCycles} first).
 */
export function topologicalOrder<Node extends string>(graph: DependencyGraph<Node>): readonly Node[] {
  const remaining = new Map<Node, number>();
  const dependants = new Map<Node, Node[]>();
  for (const node of graph.nodes) {
    const deps = graph.dependencies.get(node) ?? [];
    remaining.set(node, deps.length);
    for (const dep of deps) {
      const list = dependants.get(dep);
      if (list) list.push(node);
      else dependants.set(dep, [node]);
    }
  }
  const ready = new MinHeap<Node>();
  for (const node of graph.nodes) if (remaining.get(node) === 0) ready.push(node);
  const order: Node[] = [];
  while (ready.size > 0) {
    const node = ready.pop()!;
    order.push(node);
    for (const d of dependants.get(node) ?? []) {
      const left = remaining.get(d)! - 1;
      remaining.set(d, left);
      if (left === 0) ready.push(d);
    }
  }
  if (order.length !== graph.nodes.length) throw new Error('dependency graph has a cycle');
  return order;
}

/** All nodes that depend, directly or not, on `node`. */
export function dependantsOf<Node extends string>(graph: DependencyGraph<Node>, node: Node): ReadonlySet<Node> {
  const reverse = new Map<Node, Node[]>();
  for (const [n, deps] of graph.dependencies) {
    for (const d of deps) {
      const list = reverse.get(d);
      if (list) list.push(n);
      else reverse.set(d, [n]);
    }
  }
  const out = new Set<Node>();
  const queue = [...(reverse.get(node) ?? [])];
  // An index instead of shift(): shift moves every remaining element.
  for (let head = 0; head < queue.length; head++) {
    const n = queue[head]!;
    if (out.has(n)) continue;
    out.add(n);
    queue.push(...(reverse.get(n) ?? []));
  }
  return out;
}
