import { readFileSync } from 'node:fs';

/** The version in package.json, found relative to this module in both src/ and dist/. */
export function stewardVersion(): string {
  for (const relative of ['../../package.json', '../../../package.json']) {
    try {
      const text = readFileSync(new URL(relative, import.meta.url), 'utf8');
      const parsed = JSON.parse(text) as { name?: string; version?: string };
      if (parsed.name === 'steward' && parsed.version) return parsed.version;
    } catch {
      // try the next location
    }
  }
  return 'unknown';
}
