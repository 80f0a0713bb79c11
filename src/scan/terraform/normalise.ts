import type { ScannedResource } from '../types.js';
import type { HclDocument } from './hcl.js';
import { withPolicyStatements } from './documents.js';
import { blockKey, indexTerraformLines, type BlockLines } from './lines.js';
import { buildContext, resolveValue, type TerraformContext } from './resolve.js';

/** One parsed `.tf` file of a module directory. */
export interface TerraformFile {
  readonly file: string;
  readonly text: string;
  readonly document: HclDocument;
}

type Blocks = Readonly<Record<string, unknown>>;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** hcl2json gives every block as a list of bodies (a label may repeat); each body is an object. */
function bodies(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isRecord) : isRecord(value) ? [value] : [];
}

function moduleContext(files: readonly TerraformFile[]): TerraformContext {
  const variables = new Map<string, unknown>();
  const locals = new Map<string, unknown>();
  for (const { document } of files) {
    const declared = document['variable'];
    if (isRecord(declared)) {
      for (const [name, body] of Object.entries(declared)) {
        const first = bodies(body)[0];
        if (first && 'default' in first) variables.set(name, first['default']);
      }
    }
    for (const body of bodies(document['locals'])) for (const [name, value] of Object.entries(body)) locals.set(name, value);
  }
  return buildContext(variables, locals);
}

function resource(file: string, type: string, name: string, body: Record<string, unknown>, lines: BlockLines | undefined, context: TerraformContext): ScannedResource {
  const resolved = resolveValue(body, context);
  return {
    source: 'terraform',
    type,
    name,
    resource: isRecord(resolved) ? resolved : {},
    location: { file, line: lines?.line ?? 1, column: lines?.column ?? 1 },
    attributeLines: lines?.attributes ?? {},
  };
}

/**
 * Normalises the files of one module directory. Resources are `type` = Terraform type and `name`
 * = address (`aws_s3_bucket.logs`); `module` blocks are type `module` named `module.<name>`;
 * `provider` blocks are type `provider` named `provider.<name>` (`provider.<name>.<alias>` with an alias). Values are resolved against the
 * module's variables and locals (see resolve.ts); inline policy documents are read (see documents.ts).
 */
export async function normaliseTerraform(files: readonly TerraformFile[]): Promise<readonly ScannedResource[]> {
  const context = moduleContext(files);
  const out: ScannedResource[] = [];
  for (const { file, text, document } of files) {
    const lines = indexTerraformLines(text);
    const resources = document['resource'];
    if (isRecord(resources)) {
      for (const [type, byName] of Object.entries(resources as Blocks)) {
        if (!isRecord(byName)) continue;
        for (const [name, body] of Object.entries(byName)) {
          for (const one of bodies(body)) out.push(resource(file, type, `${type}.${name}`, one, lines.get(blockKey('resource', type, name)), context));
        }
      }
    }
    const modules = document['module'];
    if (isRecord(modules)) {
      for (const [name, body] of Object.entries(modules)) {
        for (const one of bodies(body)) out.push(resource(file, 'module', `module.${name}`, one, lines.get(blockKey('module', name)), context));
      }
    }
    const providers = document['provider'];
    if (isRecord(providers)) {
      for (const [name, body] of Object.entries(providers)) {
        bodies(body).forEach((one, i) => {
          const alias = typeof one['alias'] === 'string' ? `.${one['alias']}` : '';
          const key = blockKey('provider', name) + (i === 0 ? '' : `#${i}`);
          out.push(resource(file, 'provider', `provider.${name}${alias}`, one, lines.get(key), context));
        });
      }
    }
  }
  return Promise.all(out.map(async (r) => ({ ...r, resource: await withPolicyStatements(r.resource) })));
}
