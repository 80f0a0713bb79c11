/**
 * Test support: runs the store's real code in a separate `node` process. Node 20 cannot load
 * TypeScript, so src/core and src/store are transpiled (types dropped, nothing checked) into a
 * temporary directory whose node_modules points at the project's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const SRC = fileURLToPath(new URL('../../', import.meta.url));
const NODE_MODULES = fileURLToPath(new URL('../../../node_modules', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./hold-lock.mjs', import.meta.url));

export interface CompiledStore {
  /** Path of the transpiled open-store.js. */
  readonly openStoreModule: string;
  dispose(): Promise<void>;
}

export async function compileStoreForChild(): Promise<CompiledStore> {
  const root = await mkdtemp(join(tmpdir(), 'steward-store-child-'));
  for (const folder of ['core', 'store']) {
    await mkdir(join(root, 'src', folder), { recursive: true });
    for (const file of await readdir(join(SRC, folder))) {
      if (!file.endsWith('.ts') || file.endsWith('.test.ts')) continue;
      const source = await readFile(join(SRC, folder, file), 'utf8');
      const output = ts.transpileModule(source, {
        fileName: file,
        compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
      });
      await writeFile(join(root, 'src', folder, file.replace(/\.ts$/, '.js')), output.outputText);
    }
  }
  await writeFile(join(root, 'package.json'), '{"type":"module"}\n');
  await symlink(NODE_MODULES, join(root, 'node_modules'), 'dir');
  return {
    openStoreModule: join(root, 'src', 'store', 'open-store.js'),
    dispose: () => rm(root, { recursive: true, force: true }),
  };
}

export interface Fixture {
  readonly child: ChildProcess;
  readonly pid: number;
  /** The first line the child printed. */
  readonly line: string;
  /** SIGKILL, resolved once the process is gone. */
  kill(): Promise<void>;
}

export type FixtureMode = 'store' | 'store-file' | 'apply-lock' | 'intent';

/**
 * Starts `hold-lock.mjs`, which opens the store in `projectDir` (or at `databaseUrl`), takes
 * what `mode` asks for, prints one line and waits; resolves with that line.
 */
export function startFixture(
  compiled: CompiledStore,
  mode: FixtureMode,
  projectDir: string,
  databaseUrl: string | undefined,
): Promise<Fixture> {
  const child = spawn(process.execPath, [FIXTURE, compiled.openStoreModule, mode, projectDir, databaseUrl ?? ''], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      err += chunk;
    });
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      const newline = out.indexOf('\n');
      if (newline >= 0 && child.pid !== undefined) {
        resolve({ child, pid: child.pid, line: out.slice(0, newline), kill });
      }
    });
    child.once('exit', (code, signal) => {
      reject(new Error(`fixture exited (${code ?? signal}) before it was ready: ${err}`));
    });
  });
}
