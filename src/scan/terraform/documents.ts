import { parse } from '@cdktf/hcl2json';

/**
 * IAM-style policy documents written inline as JSON strings (heredocs) or `jsonencode({...})`
 * are opaque to CEL, which cannot parse JSON. For each argument named in {@link POLICY_ARGUMENTS}
 * the normaliser adds `<argument>_statements`: the document's statements, each with `Effect`
 * (default `Allow`), `Action`, `NotAction`, `Resource`, `NotResource` and `Principal` as lists of
 * strings (a `{"AWS": [...]}` principal flattened to its values). A document that cannot be read
 * (an unresolved reference, a `data` source) gets no such field, so rules see "unknown".
 */
export const POLICY_ARGUMENTS: readonly string[] = ['policy', 'assume_role_policy', 'inline_policy', 'access_policies', 'key_policy'];

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (isRecord(value)) return Object.values(value).flatMap(strings);
  return [];
}

export interface PolicyStatement {
  readonly Effect: string;
  readonly Action: readonly string[];
  readonly NotAction: readonly string[];
  readonly Resource: readonly string[];
  readonly NotResource: readonly string[];
  readonly Principal: readonly string[];
  readonly hasPrincipal: boolean;
  readonly hasCondition: boolean;
}

export function statementsOf(document: unknown): readonly PolicyStatement[] | undefined {
  if (!isRecord(document)) return undefined;
  const raw = document['Statement'];
  const list = Array.isArray(raw) ? raw : isRecord(raw) ? [raw] : undefined;
  if (!list) return undefined;
  return list.filter(isRecord).map((s) => ({
    Effect: typeof s['Effect'] === 'string' ? s['Effect'] : 'Allow',
    Action: strings(s['Action']),
    NotAction: strings(s['NotAction']),
    Resource: strings(s['Resource']),
    NotResource: strings(s['NotResource']),
    Principal: strings(s['Principal']),
    hasPrincipal: 'Principal' in s,
    hasCondition: isRecord(s['Condition']) && Object.keys(s['Condition']).length > 0,
  }));
}

const JSONENCODE = /^\$\{\s*jsonencode\(([\s\S]*)\)\s*\}$/;

/** The document an argument value holds, when it can be read without evaluating Terraform. */
async function documentOf(value: unknown): Promise<unknown> {
  if (isRecord(value)) return value;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (text.startsWith('{')) {
    // Trailing commas are tolerated (AWS rejects them, but the intent of the document is clear).
    for (const candidate of [text, text.replace(/,\s*([\]}])/g, '$1')]) {
      try {
        return JSON.parse(candidate) as unknown;
      } catch {
        // try the next form
      }
    }
    return undefined;
  }
  const encoded = JSONENCODE.exec(text);
  if (encoded?.[1] === undefined) return undefined;
  try {
    const parsed: unknown = await parse('jsonencode.tf', `value = ${encoded[1]}\n`);
    return isRecord(parsed) ? parsed['value'] : undefined;
  } catch {
    return undefined;
  }
}

/** Returns the arguments with `<argument>_statements` added where a policy document could be read. */
export async function withPolicyStatements(argumentsOf: Readonly<Record<string, unknown>>): Promise<Readonly<Record<string, unknown>>> {
  let out: Record<string, unknown> | undefined;
  for (const name of POLICY_ARGUMENTS) {
    if (!(name in argumentsOf)) continue;
    const statements = statementsOf(await documentOf(argumentsOf[name]));
    if (statements) (out ??= { ...argumentsOf })[`${name}_statements`] = statements;
  }
  return out ?? argumentsOf;
}
