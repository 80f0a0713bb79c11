import type { ScanRule } from '../types.js';

/** Built-in scan rules deny by default (they fail `steward scan` at or above the threshold). */
export function deny(rule: Omit<ScanRule, 'enforcement' | 'fixture'> & { readonly fixture?: string }): ScanRule {
  return { enforcement: 'deny', fixture: rule.fixture ?? `${rule.id}.tf`, ...rule };
}
