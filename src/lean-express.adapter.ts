import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { type NestApplicationOptions, StreamableFile } from '@nestjs/common';
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

  /**
   * Express gives every request and response its own prototypes (Object.setPrototypeOf on each, in
   * app.handle). On Node 20's V8 that turns the objects slow for everything Node's http code then does
   * with them: measured, it is most of the difference between Express and Fastify on a guarded GET.
   * The server here creates them with those prototypes already, so the swap is a no-op.
   */
  override initHttpServer(options: NestApplicationOptions): void {
    if (options.httpsOptions || options.return503OnClosing || options.forceCloseConnections) {
      super.initHttpServer(options);
      return;
    }
    const app = this.getInstance<{ request: IncomingMessage; response: ServerResponse }>();
    this.httpServer = createServer(
      { IncomingMessage: withPrototype(IncomingMessage, app.request), ServerResponse: withPrototype(ServerResponse, app.response) },
      app as unknown as Parameters<typeof createServer>[1],
    );
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

/** A constructor for `base`'s objects whose prototype is `prototype` (an object that inherits from base's). */
function withPrototype<T extends typeof IncomingMessage | typeof ServerResponse>(base: T, prototype: object): T {
  function Constructed(this: object, ...args: unknown[]): void {
    Reflect.apply(base, this, args);
  }
  Constructed.prototype = prototype;
  return Constructed as unknown as T;
}
