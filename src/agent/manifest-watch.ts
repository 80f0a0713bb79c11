import { watch, type FSWatcher } from 'chokidar';
import { relative, sep } from 'node:path';

const MANIFEST = /\.ya?ml$/i;

/**
 * Watches a project directory for manifest changes (YAML files added, changed or removed),
 * ignoring `.steward/`, `.git/` and `node_modules/`, and calls back once per burst of changes.
 */
export class ManifestWatcher {
  readonly #watcher: FSWatcher;
  #timer: NodeJS.Timeout | undefined;

  constructor(dir: string, onChange: (files: readonly string[]) => void, debounceMs = 150) {
    const changed = new Set<string>();
    this.#watcher = watch(dir, {
      ignoreInitial: true,
      ignored: (path) => {
        const rel = relative(dir, path);
        return rel.split(sep).some((part) => part === '.steward' || part === '.git' || part === 'node_modules');
      },
    });
    this.#watcher.on('all', (_event, path) => {
      if (!MANIFEST.test(path)) return;
      changed.add(relative(dir, path));
      clearTimeout(this.#timer);
      this.#timer = setTimeout(() => {
        const files = [...changed].sort();
        changed.clear();
        onChange(files);
      }, debounceMs);
    });
    this.#watcher.on('error', () => undefined);
  }

  /** Resolves once the initial scan is done, so no later change is missed. */
  ready(): Promise<void> {
    return new Promise((resolve) => this.#watcher.once('ready', () => resolve()));
  }

  async close(): Promise<void> {
    clearTimeout(this.#timer);
    await this.#watcher.close();
  }
}
