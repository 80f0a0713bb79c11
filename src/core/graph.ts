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
 * Dependencies first; ties broken by name so the order is stable. Throws if the graph has a cycle
 * (callers validate with {@link findCycles} first).
 */
export function topologicalOrder<Node extends string>(graph: DependencyGraph<Node>): readonly Node[] {
  const remaining = new Map<Node, number>();
  const dependants = new Map<Node, Node[]>();
  for (const node of graph.nodes) {
    const deps = graph.dependencies.get(node) ?? [];
    remaining.set(node, deps.length);
    for (const dep of deps) {
      const list = dependants.get(dep) ?? [];
      list.push(node);
      dependants.set(dep, list);
    }
  }
  const ready = graph.nodes.filter((n) => remaining.get(n) === 0).sort();
  const order: Node[] = [];
  while (ready.length > 0) {
    const node = ready.shift()!;
    order.push(node);
    for (const d of dependants.get(node) ?? []) {
      const left = remaining.get(d)! - 1;
      remaining.set(d, left);
      if (left === 0) {
        ready.push(d);
        ready.sort();
      }
    }
  }
  if (order.length !== graph.nodes.length) throw new Error('dependency graph has a cycle');
  return order;
}

/** All nodes that depend, directly or not, on `node`. */
export function dependantsOf<Node extends string>(graph: DependencyGraph<Node>, node: Node): ReadonlySet<Node> {
  const reverse = new Map<Node, Node[]>();
  for (const [n, deps] of graph.dependencies) {
    for (const d of deps) reverse.set(d, [...(reverse.get(d) ?? []), n]);
  }
  const out = new Set<Node>();
  const queue = [...(reverse.get(node) ?? [])];
  while (queue.length > 0) {
    const n = queue.shift()!;
    if (out.has(n)) continue;
    out.add(n);
    queue.push(...(reverse.get(n) ?? []));
  }
  return out;
}
