import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';

const MODULE = pathToFileURL(resolve(import.meta.dirname, '../dist/src/embedded/postgres-server.js')).href;

// The test runner's own global setup loads this module: if it forced exit code 0, CI would pass
// with failing tests. Checked against the built module, in a process of its own.
it('loading the embedded server module keeps the exit code a process means to end with', () => {
  const failing = spawnSync(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(MODULE)}); process.exitCode = 3;`]);
  expect(failing.status).toBe(3);
  const passing = spawnSync(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(MODULE)});`]);
  expect(passing.status).toBe(0);
});
