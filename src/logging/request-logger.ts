import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger as Pino } from 'pino';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

export type RequestLogger = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * One log line per finished request (info; warn for 4xx; error for 5xx) with its request id, also
 * sent back as X-Request-Id. Only method, path (no query string), status and time are logged:
 * never headers, so never Authorization. Costs nothing beyond the id when the level is off.
 */
export function createRequestLogger(logger: Pino): RequestLogger {
  return (request, response) => {
    const incoming = request.headers['x-request-id'];
    const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    response.setHeader('X-Request-Id', id);
    if (!logger.isLevelEnabled('info') && !logger.isLevelEnabled('warn')) return;
    const started = performance.now();
    response.once('finish', () => {
      const status = response.statusCode;
      const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
      if (!logger.isLevelEnabled(level)) return;
      const url = request.url ?? '';
      const query = url.indexOf('?');
      logger[level](
        {
          req: { id, method: request.method, url: query === -1 ? url : url.slice(0, query) },
          res: { statusCode: status },
          responseTime: Math.round(performance.now() - started),
        },
        'request completed',
      );
    });
  };
}
