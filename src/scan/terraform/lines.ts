/**
 * Where Terraform blocks and their attributes are, found by a light text scan.
 *
 * `@cdktf/hcl2json` returns values without positions, so the scanner reads the text once more:
 * it follows bracket depth outside strings, comments and heredocs, records the line of every
 * top-level block header (`resource "t" "n" {`, `data`, `module`, `provider`), and inside a block
 * the first line each attribute or nested block appears on, keyed by its dot-joined path with
 * list indices left out (`ingress.cidr_blocks`). It never fails: text it does not understand only
 * loses precision (the finding falls back to the block's line).
 */

export interface BlockLines {
  readonly line: number;
  readonly column: number;
  /** First line of each attribute path inside the block. */
  readonly attributes: Readonly<Record<string, number>>;
}

const HEADER = /^\s*(resource|data)\s+"([^"]+)"\s+"([^"]+)"|^\s*(module|provider)\s+"([^"]+)"/;
const ATTRIBUTE = /^\s*"?([A-Za-z_][\w-]*)"?\s*(=(?!=)|\{|:)/;
const HEREDOC = /<<-?\s*([A-Za-z_]\w*)\s*$/;

/** The key a block is known by: `resource.<type>.<name>`, `data.<type>.<name>`, `module.<name>`, `provider.<name>`. */
export function blockKey(kind: string, first: string, second?: string): string {
  return second === undefined ? `${kind}.${first}` : `${kind}.${first}.${second}`;
}

/** Bracket depth change of a line, ignoring brackets inside strings and after comments. */
function bracketDelta(line: string): number {
  let delta = 0;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
      continue;
    }
    if (c === '"') quoted = true;
    else if (c === '#' || (c === '/' && (line[i + 1] === '/' || line[i + 1] === '*'))) break;
    else if (c === '{' || c === '[' || c === '(') delta++;
    else if (c === '}' || c === ']' || c === ')') delta--;
  }
  return delta;
}

export function indexTerraformLines(text: string): ReadonlyMap<string, BlockLines> {
  const blocks = new Map<string, BlockLines>();
  const lines = text.split(/\r?\n/);
  let depth = 0;
  let heredoc: string | undefined;
  let current: { key: string; attributes: Record<string, number> } | undefined;
  const stack: { name: string; openDepth: number }[] = [];
  lines.forEach((line, index) => {
    const lineNo = index + 1;
    if (heredoc !== undefined) {
      if (line.trim() === heredoc) heredoc = undefined;
      return;
    }
    if (depth === 0) {
      const header = HEADER.exec(line);
      if (header) {
        const key = header[1] ? blockKey(header[1], header[2] ?? '', header[3]) : blockKey(header[4] ?? '', header[5] ?? '');
        const attributes: Record<string, number> = {};
        // A repeated label (several `provider "aws"` blocks) gets `#1`, `#2`... in order of appearance.
        let unique = key;
        for (let n = 1; blocks.has(unique); n++) unique = `${key}#${n}`;
        current = { key: unique, attributes };
        blocks.set(unique, { line: lineNo, column: line.search(/\S/) + 1, attributes });
        stack.length = 0;
      }
    } else if (current) {
      const attribute = ATTRIBUTE.exec(line);
      if (attribute?.[1] !== undefined) {
        const path = [...stack.map((s) => s.name), attribute[1]].join('.');
        if (!(path in current.attributes)) current.attributes[path] = lineNo;
      }
      const delta = bracketDelta(line);
      if (attribute?.[1] !== undefined && delta > 0) stack.push({ name: attribute[1], openDepth: depth });
    }
    depth = Math.max(0, depth + bracketDelta(line));
    while (stack.length > 0 && (stack[stack.length - 1]?.openDepth ?? 0) >= depth) stack.pop();
    if (depth === 0) current = undefined;
    const doc = HEREDOC.exec(line);
    if (doc?.[1] !== undefined) heredoc = doc[1];
  });
  return blocks;
}
