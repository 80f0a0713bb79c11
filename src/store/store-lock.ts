import { unlink } from 'node:fs/promises';
import { createConnection, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { StewardError, errorMessage } from '../core/errors.js';
import { sha256Hex } from '../core/hash.js';
import { describeHolder, parseHolder } from './holder.js';
import type { HolderInfo } from './types.js';

/**
 * Where the lock of a `.steward` directory lives.
 * - `abstract` (Linux): a name in the abstract socket namespace. The kernel frees it the moment
 *   the holding process dies, however it dies, so a stale lock cannot exist.
 * - `file` (elsewhere): a socket file `.steward/store.sock`. A file outlives a killed holder, so a
 *   file nobody answers on is treated as stale and removed.
 */
export type StoreLockMode = 'abstract' | 'file';

export function defaultStoreLockMode(): StoreLockMode {
  return process.platform === 'linux' ? 'abstract' : 'file';
}

/** `realStewardDir` must be the real path, so every spelling of the project locks the same name. */
export function storeLockAddress(realStewardDir: string, mode: StoreLockMode): string {
  return mode === 'abstract' ? `\0steward-${sha256Hex(realStewardDir)}` : join(realStewardDir, 'store.sock');
}

export interface StoreLock {
  readonly holder: HolderInfo;
  /** Idempotent. */
  release(): Promise<void>;
}

export interface StoreLockRequest {
  /** Real path of the `.steward` directory. */
  readonly stewardDir: string;
  /** Named in the error when the lock is taken: the store the caller wanted. */
  readonly storePath: string;
  readonly holder: HolderInfo;
  /** 0 = fail at once. */
  readonly timeoutMs: number;
  readonly mode?: StoreLockMode;
  /** Between attempts while waiting. */
  readonly retryMs?: number;
  /** Stops waiting: the acquisition fails with the signal's reason. */
  readonly signal?: AbortSignal;
}

/** How long to wait for a holder to say who it is before reporting it as unknown. */
const HOLDER_REPLY_TIMEOUT_MS = 1000;

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

function listen(server: Server, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen(address, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/**
 * Asks whoever listens on `address` who they are. Resolves `refused` when nobody listens (a
 * stale socket file), `undefined` when someone listens but gives no usable answer.
 */
function askHolder(address: string): Promise<HolderInfo | 'refused' | undefined> {
  return new Promise((resolve) => {
    let text = '';
    const socket = createConnection(address);
    const finish = (result: HolderInfo | 'refused' | undefined): void => {
      socket.destroy();
      resolve(result);
    };
    socket.setEncoding('utf8');
    socket.setTimeout(HOLDER_REPLY_TIMEOUT_MS, () => finish(undefined));
    socket.on('data', (chunk: string) => {
      text += chunk;
      const newline = text.indexOf('\n');
      if (newline >= 0) finish(parseHolder(text.slice(0, newline)));
    });
    socket.on('end', () => finish(parseHolder(text)));
    socket.on('error', (error) => finish(errorCode(error) === 'ECONNREFUSED' ? 'refused' : undefined));
  });
}

/** A server that answers every connection with one JSON line: who holds the lock. */
function holderServer(holder: HolderInfo): Server {
  const line = `${JSON.stringify(holder)}\n`;
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.end(line);
  });
  return server;
}

/**
 * Takes the exclusive lock on one `.steward` directory for this process, retrying until
 * `timeoutMs`; then throws `lock-timeout` naming the holder and the store. Never blocks the
 * process from exiting: the kernel releases the lock with it.
 */
export async function acquireStoreLock(request: StoreLockRequest): Promise<StoreLock> {
  const mode = request.mode ?? defaultStoreLockMode();
  const address = storeLockAddress(request.stewardDir, mode);
  const deadline = Date.now() + Math.max(0, request.timeoutMs);
  const retryMs = request.retryMs ?? 50;
  for (;;) {
    request.signal?.throwIfAborted();
    const server = holderServer(request.holder);
    try {
      await listen(server, address);
    } catch (error) {
      if (errorCode(error) !== 'EADDRINUSE') {
        throw new StewardError('store-unavailable', `cannot lock the store at ${request.storePath}: ${errorMessage(error)}`, {
          cause: error,
        });
      }
      const holder = await askHolder(address);
      if (holder === 'refused' && mode === 'file') {
        // Nobody answers on the file: its owner died. Remove it and try again at once.
        await unlink(address).catch(() => undefined);
        continue;
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw lockTimeout(request, holder === 'refused' ? undefined : holder);
      await delay(Math.min(retryMs, remaining), undefined, { signal: request.signal });
      continue;
    }
    // Holding the lock must not keep an otherwise finished process alive.
    server.unref();
    server.on('error', () => undefined);
    let released: Promise<void> | undefined;
    return {
      holder: request.holder,
      release(): Promise<void> {
        released ??= new Promise<void>((resolve) => server.close(() => resolve()));
        return released;
      },
    };
  }
}

function lockTimeout(request: StoreLockRequest, holder: HolderInfo | undefined): StewardError {
  const who = holder === undefined ? 'another process (it did not say which)' : describeHolder(holder);
  return new StewardError(
    'lock-timeout',
    `the store at ${request.storePath} is in use by ${who}; waited ${request.timeoutMs} ms. ` +
      'The embedded store serves one steward process at a time: wait for it to finish, or share a PostgreSQL ' +
      'store through STEWARD_DATABASE_URL.',
    { kind: 'transient' },
  );
}
