import { lintSource } from '@secretlint/core';
import { creator as recommended } from '@secretlint/secretlint-rule-preset-recommend';

export interface TokenMatch {
  /** secretlint's rule, e.g. `@secretlint/secretlint-rule-aws`. */
  readonly rule: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
  readonly length: number;
}

const CONFIG = {
  rules: [
    {
      id: '@secretlint/secretlint-rule-preset-recommend',
      rule: recommended,
      // Access key IDs are off by default in secretlint; an ID next to its secret is what leaks.
      rules: [{ id: '@secretlint/secretlint-rule-aws', options: { enableIDScanRule: true } }],
    },
  ],
};

/**
 * High-confidence token formats (cloud keys, private keys, VCS and chat tokens, connection strings
 * with passwords, ...) found by secretlint's maintained recommended preset. secretlint's own
 * `secretlint-disable` comments are honoured too. Only positions come back, never the text.
 */
export async function findTokens(file: string, text: string): Promise<readonly TokenMatch[]> {
  const result = await lintSource({
    source: { filePath: file, content: text, contentType: 'text' },
    options: { config: CONFIG, maskSecrets: true },
  });
  return result.messages.map((m) => ({
    rule: m.ruleId,
    line: m.loc.start.line,
    column: m.loc.start.column + 1,
    length: m.range[1] - m.range[0],
  }));
}
