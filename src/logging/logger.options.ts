import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LoggerOptions } from 'pino';
import type { Options as HttpLoggerOptions } from 'pino-http';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

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
  '*.code',
  'err.config',
  'err.request',
  'err.response',
];

export function baseLoggerOptions(level: string): LoggerOptions {
  return { level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
}

export const httpLoggerOptions: HttpLoggerOptions = {
  genReqId: (req: IncomingMessage, res: ServerResponse) => {
    const incoming = req.headers['x-request-id'];
    const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader('X-Request-Id', id);
    return id;
  },
  customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
  // Only what is needed to follow a request: never headers (Authorization) or query strings.
  serializers: {
    req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url?.split('?')[0] }),
    res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
  },
};
