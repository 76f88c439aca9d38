import { type Logger, type LoggerOptions, pino } from 'pino';
import type { AppConfig } from '../config/app-config.js';
import { requestContext } from './request-context.js';

// Credentials and phone numbers, at the top of a log object or one level down.
const SECRET_KEYS = [
  'authorization',
  'session_key',
  'sessionKey',
  'secret',
  'appSecret',
  'access_token',
  'accessToken',
  'token',
  'js_code',
  'phoneNumber',
  'purePhoneNumber',
];

// Everything that could carry a credential, wherever it might appear in a log line.
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["idempotency-key"]',
  'res.headers.authorization',
  'res.headers["set-cookie"]',
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((key) => `*.${key}`),
  'err.config',
  'err.request',
  'err.response',
];

export function baseLoggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    // Every line logged while a request is served carries its id, whoever logs it.
    mixin: () => {
      const context = requestContext.getStore();
      return context ? { reqId: context.requestId } : {};
    },
  };
}

export type LogFormat = 'json' | 'pretty';

/** LOG_FORMAT when set; otherwise pretty for a person at a terminal, JSON for everything else. */
export function resolveLogFormat(configured: LogFormat | null, stdoutIsTty: boolean): LogFormat {
  return configured ?? (stdoutIsTty ? 'pretty' : 'json');
}

/**
 * The app's pino: JSON lines, or pino-pretty for a person at a terminal; redacted and with the request
 * id either way. pino-pretty is loaded only for the pretty format: production (JSON) never holds it.
 */
export async function createLogger(log: AppConfig['log'], stdoutIsTty: boolean): Promise<Logger> {
  const options = baseLoggerOptions(log.level);
  if (resolveLogFormat(log.format, stdoutIsTty) === 'json') return pino(options);
  const { default: pretty } = await import('pino-pretty');
  // In-process (no worker thread), through process.stdout: a format for reading, not for a log pipeline.
  return pino(
    options,
    pretty({ destination: process.stdout, colorize: stdoutIsTty, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }),
  );
}
