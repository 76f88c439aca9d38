import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger as Pino } from 'pino';
import { requestContext } from './request-context.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

export type RequestLogger = (request: IncomingMessage, response: ServerResponse, next: () => void) => void;

/**
 * Gives each request its id (the client's X-Request-Id when it is a sane one), sent back as
 * X-Request-Id, and runs the rest of the request (`next`) in its request context, so every line
 * logged on its behalf carries `reqId`. Then one line per finished request (info; warn for 4xx;
 * error for 5xx): only method, path (no query string), status and time, never headers, so never
 * Authorization. Costs nothing beyond the id and the context when the level is off.
 */
export function createRequestLogger(logger: Pino): RequestLogger {
  return (request, response, next) => {
    const incoming = request.headers['x-request-id'];
    const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    response.setHeader('X-Request-Id', id);
    if (logger.isLevelEnabled('info') || logger.isLevelEnabled('warn')) logCompletion(logger, id, request, response);
    requestContext.run({ requestId: id }, next);
  };
}

function logCompletion(logger: Pino, id: string, request: IncomingMessage, response: ServerResponse): void {
  const started = performance.now();
  response.once('finish', () => {
    const status = response.statusCode;
    const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
    if (!logger.isLevelEnabled(level)) return;
    const url = request.url ?? '';
    const query = url.indexOf('?');
    logger[level](
      {
        reqId: id,
        req: { method: request.method, url: query === -1 ? url : url.slice(0, query) },
        res: { statusCode: status },
        responseTime: Math.round(performance.now() - started),
      },
      'request completed',
    );
  });
}
