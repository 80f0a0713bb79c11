import { pino, type Logger } from 'pino';
import { createRedactor, secretValuesFromEnv } from './redact.js';

export type { Logger } from 'pino';

export interface LoggerOptions {
  /** pino level: trace, debug, info (default), warn, error, fatal, silent. */
  readonly level?: string;
  /** Where JSON lines go; default standard output. */
  readonly destination?: NodeJS.WritableStream;
  /** Exact values never to appear in a line; default: values of secret-named environment variables. */
  readonly secretValues?: readonly string[];
  /** Fields on every line, e.g. `{ agent: 'steward-1' }`. */
  readonly base?: Readonly<Record<string, unknown>>;
}

const LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);

/**
 * Structured JSON logs, one object per line (`level` as a name, `time` as ISO 8601). Everything
 * logged - message, merged object, child bindings, errors - passes through one redactor first:
 * sensitive keys (password, token, secret...) are replaced, URL passwords masked, and known
 * secret values scrubbed wherever they appear.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  if (!LEVELS.has(level)) throw new Error(`log level "${level}" is not one of ${[...LEVELS].join(', ')}`);
  const redactor = createRedactor(options.secretValues ?? secretValuesFromEnv(process.env));
  const logger = pino(
    {
      level,
      base: { ...(options.base ?? {}) },
      timestamp: pino.stdTimeFunctions.isoTime,
      messageKey: 'msg',
      formatters: {
        level: (label) => ({ level: label }),
        bindings: (bindings) => redactor.redact(bindings) as Record<string, unknown>,
        log: (object) => redactor.redact(object) as Record<string, unknown>,
      },
      hooks: {
        // The message and any interpolation arguments; the merged object goes through `formatters.log`.
        logMethod(args, method) {
          const safe = args.map((arg) => (typeof arg === 'string' ? redactor.redactText(arg) : arg)) as Parameters<typeof method>;
          method.apply(this, safe);
        },
      },
      serializers: { err: (error: unknown) => redactor.redact(error), error: (error: unknown) => redactor.redact(error) },
    },
    options.destination ?? process.stdout,
  );
  // pino applies `formatters.bindings` to the root's bindings only, not to those of children:
  // children are made through this override instead (inherited, so grandchildren are covered too).
  const child = logger.child;
  logger.child = function (this: Logger, bindings: Record<string, unknown>, childOptions?: Parameters<Logger['child']>[1]) {
    return child.call(this, redactor.redact(bindings) as Record<string, unknown>, childOptions);
  } as Logger['child'];
  return logger;
}
