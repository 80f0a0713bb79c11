import { pino } from 'pino';
import type { AgentLogger } from './logger.js';

/** JSON lines on standard error, with anything that looks like a credential redacted. */
export function stderrLogger(level = 'info'): AgentLogger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ['password', '*.password', 'token', '*.token', 'secret', '*.secret', 'databaseUrl'], censor: '[redacted]' },
    },
    pino.destination(2),
  );
}
