import type { SourceLocation } from '../core/index.js';
import type { Suppression } from './types.js';

/**
 * Inline suppressions: a comment `steward:ignore <ids> reason: <text>` (after `#`, `//`, `/*` or
 * `<!--`), where `<ids>` is a comma-separated list of rule ids, `secret` for every secret rule, or
 * `*`. It covers findings on its own line and on the line right after it. A suppression without a
 * reason is not honoured: the finding stays and says why.
 */
const COMMENT = /steward:ignore\s+([A-Za-z0-9_*,.-]+)(?:\s+reason:\s*(.*?))?\s*(?:\*\/|-->)?\s*$/;

export interface InlineSuppression {
  readonly ids: readonly string[];
  readonly reason: string | undefined;
  readonly line: number;
  readonly column: number;
}

export class SuppressionIndex {
  private readonly byLine = new Map<number, InlineSuppression[]>();

  constructor(
    private readonly file: string,
    text: string,
  ) {
    text.split(/\r?\n/).forEach((line, index) => {
      const match = COMMENT.exec(line);
      if (!match) return;
      const entry: InlineSuppression = {
        ids: (match[1] ?? '').split(',').filter((id) => id !== ''),
        reason: match[2]?.trim() || undefined,
        line: index + 1,
        column: (match.index ?? 0) + 1,
      };
      for (const covered of [index + 1, index + 2]) this.byLine.set(covered, [...(this.byLine.get(covered) ?? []), entry]);
    });
  }

  /** The suppression covering `ruleId` at any of `lines` (finding line first), if one with a reason exists. */
  find(ruleId: string, lines: readonly number[]): { readonly suppression?: Suppression; readonly missingReason?: SourceLocation } {
    let missingReason: SourceLocation | undefined;
    for (const line of lines) {
      for (const entry of this.byLine.get(line) ?? []) {
        const applies = entry.ids.some((id) => id === '*' || id === ruleId || (id === 'secret' && ruleId.startsWith('STW-SECRET')));
        if (!applies) continue;
        const location = { file: this.file, line: entry.line, column: entry.column };
        if (entry.reason) return { suppression: { reason: entry.reason, location } };
        missingReason = location;
      }
    }
    return missingReason ? { missingReason } : {};
  }
}
