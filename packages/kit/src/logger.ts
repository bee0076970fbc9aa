import { type Logger, type LoggerOptions, pino } from 'pino';
import { currentContext, traceIds } from './context.ts';

export type { Logger };

/** Secrets that must never reach a log line, wherever they appear in a logged object. */
const REDACT = [
  'password',
  '*.password',
  'refreshToken',
  '*.refreshToken',
  'accessToken',
  '*.accessToken',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-queue-token"]',
  'req.headers["x-token-attestation"]',
  'headers.authorization',
  'secretKey',
  '*.secretKey',
];

export function loggerOptions(service: string, level: string): LoggerOptions {
  return {
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
    mixin() {
      const ctx = currentContext();
      return ctx ? { requestId: ctx.requestId, ...traceIds(ctx) } : {};
    },
  };
}

/**
 * Writes to stdout without blocking: lines logged while a write is under way leave together in the next
 * one, so a busy gateway's access log costs a system call per batch rather than per request. What is
 * still buffered when the process exits is flushed then (pino does it on exit).
 */
export function createLogger(service: string, level = 'info'): Logger {
  return pino(loggerOptions(service, level), pino.destination({ dest: 1, sync: false }));
}
