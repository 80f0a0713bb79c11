import { packageRoot } from '../src/manifest/package-root.js';

/** The checkout's root, wherever the script runs from (`dist/scripts/` or the bundle in `dist/bundle/`). */
export function checkoutRoot(moduleUrl: string): string {
  const root = packageRoot(moduleUrl);
  if (root === undefined) throw new Error(`no Steward package.json above ${moduleUrl}`);
  return root;
}
