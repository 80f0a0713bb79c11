import { packageVersion } from '../manifest/package-root.js';

/** The version in package.json. */
export function stewardVersion(): string {
  return packageVersion(import.meta.url) ?? 'unknown';
}
