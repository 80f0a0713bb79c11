import type { AuditLog } from './types.js';

export interface AuditExportSummary {
  readonly entries: number;
  /** The last entry exported: with its hash, the anchor to check a copy against (`--head`). */
  readonly lastSeq: number;
  readonly lastHash: string | null;
}

/** Resolves when `sink` drains, rejects if it fails first; leaves no listener behind either way. */
function drained(sink: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    const settle = (error?: Error): void => {
      sink.off('drain', onDrain);
      sink.off('error', settle);
      if (error) reject(error);
      else resolve();
    };
    const onDrain = (): void => settle();
    sink.on('drain', onDrain);
    sink.on('error', settle);
  });
}

/** Characters buffered before a write: few enough syscalls for a million lines, little memory. */
const CHUNK_CHARS = 1 << 20;

/**
 * Streams the whole log to `sink` as JSON Lines, oldest first: one entry per line, each with its
 * `hash`, in the exact canonical form that was hashed. Memory stays constant (a page of entries
 * plus one chunk of text); a slow sink is waited for (backpressure), a failing one fails the export.
 */
export async function exportAuditJsonl(log: Pick<AuditLog, 'exportJsonl'>, sink: NodeJS.WritableStream): Promise<AuditExportSummary> {
  let failure: Error | undefined;
  const onError = (error: Error): void => {
    failure ??= error;
  };
  sink.on('error', onError);
  let buffer: string[] = [];
  let buffered = 0;
  let last: string | undefined;

  const flush = async (): Promise<void> => {
    if (failure) throw failure;
    if (buffer.length === 0) return;
    const chunk = buffer.join('');
    buffer = [];
    buffered = 0;
    if (!sink.write(chunk)) {
      await drained(sink);
    }
    if (failure) throw failure;
  };

  try {
    const entries = await log.exportJsonl((line) => {
      buffer.push(line);
      buffered += line.length;
      last = line;
      return buffered >= CHUNK_CHARS ? flush() : undefined;
    });
    await flush();
    const tail = last === undefined ? undefined : (JSON.parse(last) as { seq: number; hash: string });
    return { entries, lastSeq: tail?.seq ?? 0, lastHash: tail?.hash ?? null };
  } finally {
    sink.off('error', onError);
  }
}
