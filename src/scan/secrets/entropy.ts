/** Shannon entropy of the characters of `text`, in bits per character. */
export function shannonEntropy(text: string): number {
  if (text.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1);
  let entropy = 0;
  for (const count of counts.values()) {
    const p = count / text.length;
    entropy -= p * Math.log2(p);
  }
  return entropy;
}

/** An assignment whose name looks like it holds a secret and whose value is a quoted literal. */
const ASSIGNMENT =
  /(["']?)([A-Za-z0-9_.-]*?(?:password|passwd|passphrase|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credential|auth[_-]?key)[A-Za-z0-9_.-]*)\1\s*(?:=|:|=>)\s*(["'])([^"'\n]{8,})\3/gi;

/** Values that are references or templates (resolved elsewhere) or obvious placeholders, not secrets. */
const NOT_A_SECRET = /\$\{|\{\{|\$\(|^<.*>$|^\*+$|^x+$|example|changeme|placeholder|your[_-]|redacted|dummy|^(true|false|null|none)$|^arn:|^(var|local|data|module)\./i;

/** Minimum entropy, in bits per character, for a literal to count as a likely secret. */
export const ENTROPY_THRESHOLD = 3.0;

export interface SecretAssignment {
  readonly name: string;
  readonly value: string;
  /** 0-based column of the value in the line. */
  readonly column: number;
}

/**
 * Literal values assigned to secret-looking names (`password = "..."`, `apiKey: '...'`) whose
 * entropy reaches {@link ENTROPY_THRESHOLD}. Unquoted values are left out on purpose: they are
 * mostly references (`var.x`, `!Ref`), which are the right way to pass a secret.
 */
export function secretAssignments(line: string): readonly SecretAssignment[] {
  const out: SecretAssignment[] = [];
  for (const match of line.matchAll(ASSIGNMENT)) {
    const name = match[2] ?? '';
    const value = match[4] ?? '';
    if (NOT_A_SECRET.test(value) || /\s/.test(value.trim()) || shannonEntropy(value) < ENTROPY_THRESHOLD) continue;
    out.push({ name, value, column: (match.index ?? 0) + match[0].length - value.length - 1 });
  }
  return out;
}
