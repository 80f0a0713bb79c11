import { parse } from '@cdktf/hcl2json';

/** The JSON form of one `.tf` file, as `@cdktf/hcl2json` (HashiCorp's HCL parser compiled to WASM) gives it. */
export type HclDocument = Readonly<Record<string, unknown>>;

export type HclParseResult =
  | { readonly ok: true; readonly document: HclDocument }
  | { readonly ok: false; readonly message: string; /** 1-based, when the parser said */ readonly line?: number };

const POSITION = /:(\d+),(\d+)(?:-\d+)?:\s*(.*)$/s;

/**
 * Parses HCL text. Never throws for bad input: a syntax error comes back with the parser's message
 * and line. Runs offline (the package ships its WASM build).
 */
export async function parseHcl(file: string, text: string): Promise<HclParseResult> {
  try {
    const document: unknown = await parse(file, text);
    if (typeof document !== 'object' || document === null) return { ok: false, message: 'the HCL parser returned nothing' };
    return { ok: true, document: document as HclDocument };
  } catch (error) {
    const raw = error instanceof Error ? error.message : String(error);
    const position = POSITION.exec(raw.replace(/^parse config: \[/, '').replace(/\]$/, ''));
    const line = position?.[1] === undefined ? undefined : Number(position[1]);
    const message = (position?.[3] ?? raw).split(';')[0]?.trim() ?? raw;
    return line === undefined ? { ok: false, message } : { ok: false, message, line };
  }
}
