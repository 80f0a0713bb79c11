/**
 * Resolution of Terraform values that are known without running Terraform: `var.x` (from the
 * variable's `default`), `local.y`, attribute and index access into them (`local.tags.env`,
 * `var.list[0]`), and string templates made of those (`"${var.a}-suffix"`).
 *
 * Anything else — resource attributes, function calls, conditionals — stays exactly as the parser
 * gave it: a string starting with `${`. That raw expression is the "unknown" marker rules can test
 * with `isUnknown`-style checks (`x.startsWith('${')`); it is never guessed at.
 */

export interface TerraformContext {
  readonly variables: ReadonlyMap<string, unknown>;
  readonly locals: ReadonlyMap<string, unknown>;
}

const REFERENCE = /^(var|local)\.([A-Za-z_][\w-]*)((?:\.[A-Za-z_][\w-]*|\[\d+\]|\["[^"]*"\])*)$/;
const STEP = /\.([A-Za-z_][\w-]*)|\[(\d+)\]|\["([^"]*)"\]/g;
const UNRESOLVED = Symbol('unresolved');

/** Finds the `${ ... }` spans of a template, honouring nested braces and quoted strings. */
function interpolations(text: string): { start: number; end: number; expression: string }[] | undefined {
  const spans: { start: number; end: number; expression: string }[] = [];
  let i = text.indexOf('${');
  while (i !== -1) {
    if (i > 0 && text[i - 1] === '$') {
      i = text.indexOf('${', i + 2);
      continue;
    }
    let depth = 0;
    let quoted = false;
    let end = -1;
    for (let j = i + 1; j < text.length; j++) {
      const c = text[j];
      if (quoted) {
        if (c === '\\') j++;
        else if (c === '"') quoted = false;
      } else if (c === '"') quoted = true;
      else if (c === '{') depth++;
      else if (c === '}' && --depth === 0) {
        end = j;
        break;
      }
    }
    if (end === -1) return undefined;
    spans.push({ start: i, end: end + 1, expression: text.slice(i + 2, end).trim() });
    i = text.indexOf('${', end + 1);
  }
  return spans;
}

function lookup(expression: string, context: TerraformContext): unknown {
  // Checkov's fixtures (and some hand-written code) spell booleans `True`/`False`; HCL reads them as
  // references, but their meaning is not in doubt.
  if (/^(true|false)$/i.test(expression)) return expression.toLowerCase() === 'true';
  const match = REFERENCE.exec(expression);
  if (!match) return UNRESOLVED;
  const scope = match[1] === 'var' ? context.variables : context.locals;
  if (!scope.has(match[2] ?? '')) return UNRESOLVED;
  let value: unknown = scope.get(match[2] ?? '');
  for (const step of (match[3] ?? '').matchAll(STEP)) {
    const key = step[1] ?? step[3];
    if (key !== undefined && typeof value === 'object' && value !== null && !Array.isArray(value) && key in value) {
      value = (value as Record<string, unknown>)[key];
    } else if (step[2] !== undefined && Array.isArray(value) && Number(step[2]) < value.length) {
      value = value[Number(step[2])];
    } else {
      return UNRESOLVED;
    }
  }
  if (typeof value === 'string' && value.includes('${')) return UNRESOLVED;
  return value;
}

function resolveString(text: string, context: TerraformContext): unknown {
  const spans = interpolations(text);
  if (spans === undefined || spans.length === 0) return text;
  const only = spans[0];
  if (spans.length === 1 && only !== undefined && only.start === 0 && only.end === text.length) {
    const value = lookup(only.expression, context);
    return value === UNRESOLVED ? text : value;
  }
  let out = '';
  let last = 0;
  for (const span of spans) {
    const value = lookup(span.expression, context);
    if (value === UNRESOLVED || (typeof value === 'object' && value !== null)) return text;
    out += text.slice(last, span.start) + String(value);
    last = span.end;
  }
  return out + text.slice(last);
}

/** Replaces every resolvable reference inside `value` (deeply); returns a new value. */
export function resolveValue(value: unknown, context: TerraformContext): unknown {
  if (typeof value === 'string') return resolveString(value, context);
  if (Array.isArray(value)) return value.map((v) => resolveValue(v, context));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveValue(v, context)]));
  }
  return value;
}

/**
 * Builds the context of one module (a directory): variable defaults, then locals resolved against
 * variables and each other (a few passes, so locals may use locals declared later or in other files).
 */
export function buildContext(variables: ReadonlyMap<string, unknown>, rawLocals: ReadonlyMap<string, unknown>): TerraformContext {
  let locals = new Map(rawLocals);
  for (let pass = 0; pass < 4; pass++) {
    const context = { variables, locals };
    const next = new Map([...locals].map(([k, v]) => [k, resolveValue(v, context)]));
    const changed = [...next].some(([k, v]) => JSON.stringify(v) !== JSON.stringify(locals.get(k)));
    locals = next;
    if (!changed) break;
  }
  return { variables, locals };
}
