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

/** Steward's package.json nearest above the module at `moduleUrl`: its directory and what it says. */
function findPackage(moduleUrl: string): { readonly dir: string; readonly manifest: PackageManifest } | undefined {
  let dir = dirname(fileURLToPath(moduleUrl));
  for (;;) {
    const manifest = manifestIn(dir);
    if (manifest?.name === 'steward') return { dir, manifest };
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * The directory of Steward's package.json, found upwards from the module at `moduleUrl`: the same
 * answer whether that module runs from the TypeScript sources, from `dist/` or from the bundle
 * (`dist/bundle/`), which sit at different depths. Undefined when there is none.
 */
export function packageRoot(moduleUrl: string): string | undefined {
  return findPackage(moduleUrl)?.dir;
}

/** The version in Steward's package.json, found from the module at `moduleUrl`. */
export function packageVersion(moduleUrl: string): string | undefined {
  const version = findPackage(moduleUrl)?.manifest.version;
  return typeof version === 'string' && version !== '' ? version : undefined;
}
