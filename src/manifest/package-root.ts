import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package's own manifest as far as it is read here. */
interface PackageManifest {
  readonly name?: unknown;
  readonly version?: unknown;
}

function manifestIn(dir: string): PackageManifest | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageManifest;
  } catch {
    return undefined;
  }
}

/**
 * The directory of Steward's package.json, found upwards from the module at `moduleUrl`: the same
 * answer whether that module runs from the TypeScript sources, from `dist/` or from the bundle
 * (`dist/bundle/`), which sit at different depths. Undefined when there is none.
 */
export function packageRoot(moduleUrl: string): string | undefined {
  let dir = dirname(fileURLToPath(moduleUrl));
  for (;;) {
    if (manifestIn(dir)?.name === 'steward') return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The version in Steward's package.json, found from the module at `moduleUrl`. */
export function packageVersion(moduleUrl: string): string | undefined {
  const root = packageRoot(moduleUrl);
  const version = root === undefined ? undefined : manifestIn(root)?.version;
  return typeof version === 'string' && version !== '' ? version : undefined;
}
