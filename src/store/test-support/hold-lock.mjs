// Test fixture, run by child.ts in its own process: opens a store with the real (transpiled)
// store code, takes what the test asks for, prints one line, then waits until it is killed.
// Usage: node hold-lock.mjs <open-store.js> <store|store-file|apply-lock|intent> <projectDir> [databaseUrl]
import { pathToFileURL } from 'node:url';

const [modulePath, mode, projectDir, databaseUrl] = process.argv.slice(2);
const { openStoreWithClient } = await import(pathToFileURL(modulePath).href);
const { store } = await openStoreWithClient({
  projectDir,
  databaseUrl: databaseUrl || undefined,
  command: 'fixture',
  storeLockMode: mode === 'store-file' ? 'file' : undefined,
});

let line = 'ready';
if (mode === 'apply-lock') {
  await store.acquireApplyLock({ timeoutMs: 0 });
  line = 'locked';
} else if (mode === 'intent') {
  const runId = await store.startRun({ command: 'apply', actor: 'fixture' });
  const intent = await store.recordIntent({
    runId,
    actor: 'fixture',
    address: 'PostgresRole/killed-mid-change',
    action: 'create',
    beforeHash: null,
    afterHash: 'a'.repeat(64),
  });
  line = JSON.stringify({ runId, intentId: intent.id });
}
process.stdout.write(`${line}\n`);

// Wait to be killed; if the test process goes away first, its end of stdin closes: leave too.
setInterval(() => undefined, 60_000);
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
