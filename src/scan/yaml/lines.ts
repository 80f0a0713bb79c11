import { isMap, isPair, isScalar, isSeq, type LineCounter, type Node } from 'yaml';

/**
 * The first line of every attribute path under `node`, dot-joined with sequence indices left out
 * (`spec.containers.securityContext.privileged`), prefixed with `prefix` when given.
 */
export function yamlAttributeLines(node: unknown, lineCounter: LineCounter, prefix = ''): Record<string, number> {
  const lines: Record<string, number> = {};
  const visit = (current: unknown, path: string): void => {
    if (isMap(current)) {
      for (const pair of current.items) {
        if (!isPair(pair) || !isScalar(pair.key)) continue;
        const key = String(pair.key.value);
        const child = path === '' ? key : `${path}.${key}`;
        const start = pair.key.range?.[0];
        if (start !== undefined && !(child in lines)) lines[child] = lineCounter.linePos(start).line;
        visit(pair.value, child);
      }
    } else if (isSeq(current)) {
      for (const item of current.items) visit(item, path);
    }
  };
  visit(node, prefix);
  return lines;
}

/** 1-based line and column where `node` starts. */
export function nodePosition(node: Node | null | undefined, lineCounter: LineCounter): { readonly line: number; readonly column: number } {
  const start = node?.range?.[0] ?? 0;
  const { line, col } = lineCounter.linePos(start);
  return { line, column: col };
}
