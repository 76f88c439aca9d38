import type { IncomingMessage, ServerResponse } from 'node:http';
import { StreamableFile } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';

type Middleware = (request: IncomingMessage & { body?: unknown }, response: ServerResponse, next: (error?: unknown) => void) => void;

/**
 * Part of the bootstrap (the one place that knows Express). Body parsers run as one middleware, and
 * only for a request that has a body (as Fastify parses by content type only then), not one after the
 * other on every GET. Answers the common case — a JSON object
 * for a response no one gave another type — the way the Fastify path does: stringify, two headers,
 * end. Express's res.json()/res.send() would also parse the content type back, hash the body for an
 * ETag and check request freshness on every answer; nothing here uses either. Everything else
 * (streams, strings, empty bodies, errors) goes through Nest's own reply.
 */
export class LeanExpressAdapter extends ExpressAdapter {
  private parsers: Middleware[] | null = null;
  private captured: Middleware[] | null = null;

  override useBodyParser(...args: Parameters<ExpressAdapter['useBodyParser']>): this {
    // Nest builds the parser (with its rawBody option) and hands it to use(): taken from there.
    const captured: Middleware[] = (this.captured = []);
    try {
      super.useBodyParser(...args);
    } finally {
      this.captured = null;
    }
    if (!this.parsers) {
      const parsers: Middleware[] = (this.parsers = []);
      super.use(((request, response, next) => {
        const headers = request.headers;
        if (headers['transfer-encoding'] === undefined && headers['content-length'] === undefined) {
          next();
          return;
        }
        let index = 0;
        const step = (error?: unknown): void => {
          if (error !== undefined || index === parsers.length) next(error);
          else parsers[index++](request, response, step);
        };
        step();
      }) satisfies Middleware);
    }
    this.parsers.push(...captured);
    return this;
  }

  override use(...args: unknown[]): unknown {
    if (this.captured && args.length === 1 && typeof args[0] === 'function') {
      this.captured.push(args[0] as Middleware);
      return this;
    }
    return super.use(...args);
  }

  override reply(response: ServerResponse, body: unknown, statusCode?: number): unknown {
    if (
      body !== null &&
      typeof body === 'object' &&
      !(body instanceof StreamableFile) &&
      !(body instanceof Error) &&
      !Buffer.isBuffer(body) &&
      response.getHeader('Content-Type') === undefined
    ) {
      if (statusCode !== undefined) response.statusCode = statusCode;
      const text = JSON.stringify(body);
      response.setHeader('Content-Type', 'application/json; charset=utf-8');
      response.setHeader('Content-Length', Buffer.byteLength(text));
      return response.end(text);
    }
    return super.reply(response, body, statusCode);
  }
}
