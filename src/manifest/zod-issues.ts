import type { z } from 'zod';
import { formatFieldPath, type Diagnostic, type DiagnosticCode, type FieldPath } from '../core/index.js';
import { closestMatch, quoteList } from './suggest.js';
import { locate } from './locations.js';
import { isMapping, type SourceDocument } from './yaml-source.js';

type Issue = z.core.$ZodIssue;

/** What turning zod issues into diagnostics needs to know about the document being validated. */
export interface IssueContext {
  readonly source: SourceDocument;
  /** Path of the validated value inside the document; zod's issue paths are relative to it. */
  readonly prefix: FieldPath;
  /** The whole document as plain data, to tell a missing field from a mistyped one. */
  readonly data: unknown;
  /** Keys the object at a document path accepts, for "did you mean" hints. */
  readonly knownKeys: (path: FieldPath) => readonly string[];
  /** The schema's description of the field at a document path, quoted in hints. */
  readonly describe: (path: FieldPath) => string | undefined;
  readonly address?: string;
}

/** Codes a schema may name in a custom issue's `params.steward`. */
const CUSTOM_CODES: ReadonlySet<unknown> = new Set<DiagnosticCode>([
  'literal-secret',
  'invalid-identifier',
  'invalid-value',
  'invalid-type',
  'missing-field',
  'unknown-field',
]);

function isCustomCode(value: unknown): value is DiagnosticCode {
  return CUSTOM_CODES.has(value);
}

function valueAt(data: unknown, path: FieldPath): { readonly present: boolean; readonly value: unknown } {
  let current = data;
  for (const segment of path) {
    if (Array.isArray(current) && typeof segment === 'number' && segment < current.length) current = current[segment];
    else if (isMapping(current) && Object.hasOwn(current, String(segment))) current = current[String(segment)];
    else return { present: false, value: undefined };
  }
  return { present: true, value: current };
}

/** The YAML type of a value, in words. Never the value itself: it may be a secret. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a number';
  if (typeof value === 'boolean') return 'a boolean';
  if (typeof value === 'string') return 'a string';
  return `a ${typeof value}`;
}

const EXPECTED_WORDS: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'a boolean (true or false)',
  null: 'null',
  array: 'a list',
  tuple: 'a list',
  set: 'a list',
  object: 'a mapping',
  record: 'a mapping',
  map: 'a mapping',
  date: 'a date',
  bigint: 'an integer',
  never: 'nothing (remove it)',
};

function expectedWords(expected: string): string {
  return EXPECTED_WORDS[expected] ?? expected;
}

function fieldName(path: FieldPath): string {
  return path.length === 0 ? 'the document' : formatFieldPath(path);
}

/** Ends the hint with the field's description, which often says what a valid value looks like. */
function withDescription(hint: string, description: string | undefined): string {
  const base = hint.replace(/\.$/, '');
  return sentence(description === undefined ? base : `${base} (${description.replace(/\.$/, '')})`);
}

function toFieldPath(path: readonly PropertyKey[]): FieldPath {
  return path.map((p) => (typeof p === 'number' ? p : String(p)));
}

function sentence(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

/** Turns the issues of one `safeParse` into diagnostics, one per problem, located in the YAML. */
export function issuesToDiagnostics(issues: readonly Issue[], context: IssueContext): readonly Diagnostic[] {
  return issues.flatMap((issue) => convert(issue, context.prefix, context));
}

/** Builds diagnostics for one field; `at` says whether its key or its value is at fault. */
interface Field {
  readonly path: FieldPath;
  readonly name: string;
  readonly value: { readonly present: boolean; readonly value: unknown };
  make(code: DiagnosticCode, summary: string, hint: string, at?: 'key' | 'value'): Diagnostic;
}

function field(path: FieldPath, context: IssueContext): Field {
  return {
    path,
    name: fieldName(path),
    value: valueAt(context.data, path),
    make: (code, summary, hint, at = 'value') => ({
      severity: 'error',
      code,
      summary,
      hint,
      location: locate(context.source, path, at),
      path,
      ...(context.address === undefined ? {} : { address: context.address }),
    }),
  };
}

function convert(issue: Issue, prefix: FieldPath, context: IssueContext): readonly Diagnostic[] {
  const path = [...prefix, ...toFieldPath(issue.path)];
  const at = field(path, context);
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => unknownField(path, key, context));
    case 'invalid_type':
      return [at.value.present ? wrongType(at, issue.expected, context) : missingField(at, expectedWords(issue.expected), context)];
    case 'invalid_union':
      return unionMismatch(issue, at, context);
    case 'invalid_value':
      return [notAllowed(at, issue.values.map((v) => String(v)))];
    case 'too_small':
      return [outOfRange(at, 'too_small', issue.origin, issue.minimum, issue.inclusive !== false, issue.exact === true, context)];
    case 'too_big':
      return [outOfRange(at, 'too_big', issue.origin, issue.maximum, issue.inclusive !== false, issue.exact === true, context)];
    case 'invalid_format': {
      const hint =
        issue.format === 'datetime'
          ? `Write ${at.name} as an ISO 8601 timestamp with a time zone, such as 2030-01-01T00:00:00Z`
          : issue.format === 'regex' && issue.pattern !== undefined
            ? `Change ${at.name} to match ${issue.pattern}`
            : `Change ${at.name} to a valid ${issue.format}`;
      return [at.make('invalid-value', describeProblem(at.name, issue.message), withDescription(hint, context.describe(path)))];
    }
    case 'not_multiple_of':
      return [at.make('invalid-value', `${at.name} must be a multiple of ${issue.divisor}.`, `Change ${at.name} to a multiple of ${issue.divisor}.`)];
    case 'invalid_key': {
      const key = String(path[path.length - 1]);
      const reason = issue.issues[0]?.message ?? issue.message;
      const summary = describeProblem(`The key '${key}' in ${fieldName(path.slice(0, -1))}`, reason);
      return [at.make('invalid-value', summary, `Rename the key '${key}'.`, 'key')];
    }
    case 'invalid_element':
      return issue.issues.flatMap((i) => convert(i, path, context));
    case 'custom':
      return [custom(at, issue.message, issue.params?.['steward'])];
  }
}

function unknownField(parent: FieldPath, key: string, context: IssueContext): Diagnostic {
  const known = context.knownKeys(parent);
  const suggestion = closestMatch(key, known);
  const allowed = known.length > 0 ? ` The fields allowed in ${fieldName(parent)} are ${quoteList(known, 'and')}.` : '';
  const hint = suggestion !== undefined ? `Did you mean '${suggestion}'? Rename the field, or remove it.` : `Remove the field.${allowed}`;
  const at = field([...parent, key], context);
  return at.make('unknown-field', `Unknown field ${at.name}.`, hint, 'key');
}

function missingField(at: Field, expected: string | undefined, context: IssueContext): Diagnostic {
  const parent = fieldName(at.path.slice(0, -1));
  const key = String(at.path[at.path.length - 1]);
  const add = expected === undefined ? `Add '${key}' to ${parent}` : `Add '${key}' to ${parent} as ${expected}`;
  return at.make('missing-field', `Required field ${at.name} is missing.`, withDescription(add, context.describe(at.path)));
}

/** YAML reads unquoted digits as numbers and `yes`-like words as strings; say which way to go. */
function quotingAdvice(expected: string, value: unknown): string {
  if (expected === 'string' && (typeof value === 'number' || typeof value === 'boolean')) return '; quote the value to make it a string';
  if ((expected === 'number' || expected === 'int') && typeof value === 'string') return '; write the number without quotes';
  if (expected === 'boolean' && typeof value === 'string') return '; write true or false without quotes';
  return '';
}

function wrongType(at: Field, expected: string, context: IssueContext): Diagnostic {
  const words = expectedWords(expected);
  return at.make(
    'invalid-type',
    `${at.name} has the wrong type: expected ${words}, received ${describeValue(at.value.value)}.`,
    withDescription(`Change ${at.name} to ${words}${quotingAdvice(expected, at.value.value)}`, context.describe(at.path)),
  );
}

function unionMismatch(issue: z.core.$ZodIssueInvalidUnion, at: Field, context: IssueContext): readonly Diagnostic[] {
  const branches = issue.errors;
  const typeOnly = (i: Issue): boolean => i.code === 'invalid_type' && i.path.length === 0;
  if (branches.length > 0 && branches.every((b) => b.length > 0 && b.every(typeOnly))) {
    if (!at.value.present) return [missingField(at, undefined, context)];
    // Name the keys of a mapping alternative: "a mapping with 'env'" tells how to write it.
    const keys = context.knownKeys(at.path);
    const alternatives = [
      ...new Set(
        branches.flatMap((b) =>
          b.map((i) => {
            const words = i.code === 'invalid_type' ? expectedWords(i.expected) : i.code;
            return words === 'a mapping' && keys.length > 0 ? `a mapping with ${keys.map((k) => `'${k}'`).join(', ')}` : words;
          }),
        ),
      ),
    ];
    const last = alternatives[alternatives.length - 1] ?? 'another type';
    const expected = alternatives.length <= 1 ? last : `${alternatives.slice(0, -1).join(', ')} or ${last}`;
    return [
      at.make(
        'invalid-type',
        `${at.name} has the wrong type: expected ${expected}, received ${describeValue(at.value.value)}.`,
        withDescription(`Change ${at.name} to ${expected}`, context.describe(at.path)),
      ),
    ];
  }
  // A branch that accepted the type but failed deeper explains the problem best; of several, the
  // one closest to what was written (fewest problems), so `{name: x}` against `{user} | {name,
  // tokenSha256}` asks for tokenSha256 instead of calling 'name' unknown.
  const deeper = branches.filter((b) => b.some((i) => !typeOnly(i)));
  if (deeper.length > 0) {
    const closest = deeper.reduce((best, b) => (b.length < best.length ? b : best));
    return closest.flatMap((i) => convert(i, at.path, context));
  }
  const hint = withDescription(`Correct the value of ${at.name}`, context.describe(at.path));
  return [at.make('invalid-value', `${at.name} does not match any allowed form.`, hint)];
}

function notAllowed(at: Field, allowed: readonly string[]): Diagnostic {
  if (allowed.length === 1) return at.make('invalid-value', `${at.name} must be '${allowed[0]!}'.`, `Set ${at.name} to '${allowed[0]!}'.`);
  // The suggestion is one of the allowed values; the value written is never repeated.
  const suggestion = typeof at.value.value === 'string' ? closestMatch(at.value.value, allowed) : undefined;
  const hint = `${suggestion === undefined ? '' : `Did you mean '${suggestion}'? `}Use one of ${quoteList(allowed)}.`;
  return at.make('invalid-value', `${at.name} has a value that is not allowed.`, hint);
}

function outOfRange(
  at: Field,
  code: 'too_small' | 'too_big',
  origin: string,
  bound: number | bigint,
  inclusive: boolean,
  exact: boolean,
  context: IssueContext,
): Diagnostic {
  const small = code === 'too_small';
  const comparison = small ? (inclusive ? 'at least' : 'more than') : inclusive ? 'at most' : 'less than';
  const limit = `${exact ? 'exactly' : comparison} ${String(bound)}`;
  const emptyNotAllowed = small && !exact && inclusive && Number(bound) === 1;
  let requirement: string;
  if (origin === 'string') requirement = emptyNotAllowed ? 'must not be empty' : `must be ${limit} characters long`;
  else if (origin === 'array' || origin === 'set') requirement = emptyNotAllowed ? 'must not be empty' : `must have ${limit} items`;
  else requirement = `must be ${limit}`;
  return at.make('invalid-value', `${at.name} ${requirement}.`, withDescription(fixHint(at.name, requirement), context.describe(at.path)));
}

function custom(at: Field, message: string, named: unknown): Diagnostic {
  const code: DiagnosticCode = isCustomCode(named) ? named : 'invalid-value';
  if (code === 'literal-secret') {
    // Never quote the value or the schema's message about it: the value is the secret.
    return at.make(
      'literal-secret',
      `${at.name} holds a literal secret; only a reference to where the secret is kept is allowed.`,
      'Replace the value with a reference: {secretRef: NAME} to a declared Secret (set with `steward secret set NAME`, kept encrypted), or {env: PGPASSWORD} with that variable set where Steward runs; ' +
        'remove the secret from the file and its history.',
    );
  }
  return at.make(code, describeProblem(at.name, message), sentence(fixHint(at.name, message)));
}

/** Whether a schema's message reads as a predicate ("must be ...") that can follow a field name. */
function isPredicate(message: string): boolean {
  return /^(must|is|has|cannot|should|contains|may)\b/.test(message);
}

/** `spec.x must be ...` when the message reads as a predicate, `spec.x is invalid: ...` otherwise. */
function describeProblem(subject: string, message: string): string {
  return sentence(isPredicate(message) ? `${subject} ${message}` : `${subject} is invalid: ${message}`);
}

function fixHint(name: string, message: string): string {
  const text = message.replace(/\.$/, '');
  return isPredicate(text) ? `Change ${name}: it ${text}` : `Change ${name}: ${text}`;
}
