import type { LoggerOptions } from 'pino';

// Everything that could carry a credential, wherever it might appear in a log line.
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["idempotency-key"]',
  'res.headers.authorization',
  'res.headers["set-cookie"]',
  '*.authorization',
  '*.session_key',
  '*.sessionKey',
  '*.secret',
  '*.appSecret',
  '*.access_token',
  '*.accessToken',
  '*.token',
  '*.js_code',
  'err.config',
  'err.request',
  'err.response',
];

export function baseLoggerOptions(level: string): LoggerOptions {
  return { level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
}
