import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AppModule } from './app.module.js';
import { drainRequest } from './http/drain-request.js';
import { OpenResponses } from './http/open-responses.js';
import type { AppConfig } from './config/app-config.js';
import { HTTP_LOGGER } from './logging/logging.module.js';
import { PinoLoggerService } from './logging/pino-logger.service.js';
import { MetricsService } from './metrics/metrics.service.js';
import type { RequestLogger } from './logging/request-logger.js';

const XML_TYPES = ['text/xml', 'application/xml'];

/** POST /templates/batches carries up to 10,000 recipients with their data; every other route keeps `http.bodyLimitBytes`. */
const BATCH_ROUTE = '/templates/batches';
const BATCH_BODY_LIMIT_BYTES = 2 * 1024 * 1024;

/**
 * Builds the app on the configured HTTP adapter. The only place that knows Express or Fastify:
 * everything below works on both.
 */
export async function createApp(config: AppConfig): Promise<INestApplication> {
  const limit = config.http.bodyLimitBytes;
  const module = AppModule.forRoot(config);
  // rawBody: the message-push callback parses and verifies the body as WeChat sent it (an int64
  // MsgID in JSON does not survive JSON.parse); XML pushes arrive as text/xml or application/xml.
  const options = { bufferLogs: true, abortOnError: false, rawBody: true } as const;
  let app: INestApplication;
  // Only the configured adapter is loaded: the other one would be memory spent for nothing.
  if (config.http.adapter === 'fastify') {
    const { FastifyAdapter } = await import('@nestjs/platform-fastify');
    const fastify = await NestFactory.create<NestFastifyApplication>(
      module,
      new FastifyAdapter({ bodyLimit: limit, trustProxy: fastifyTrustProxy(config.http.trustProxy) }),
      options,
    );
    const logRequest = fastify.get<string, RequestLogger>(HTTP_LOGGER);
    const metrics = fastify.get(MetricsService);
    const instance = fastify.getHttpAdapter().getInstance();
    // Routes are registered at init, after this hook is in place.
    instance.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      if (route.url === BATCH_ROUTE && methods.includes('POST')) route.bodyLimit = BATCH_BODY_LIMIT_BYTES;
    });
    instance.addHook('onRequest', (request, reply, done) => logRequest(request.raw, reply.raw, done));
    fastify.useBodyParser(XML_TYPES, { bodyLimit: limit }, (_request, body, done) => done(null, body.toString('utf8')));
    // routeOptions.url is the matched route as declared (`/users/:id`); undefined when none matched.
    instance.addHook('onResponse', (request, reply, done) => {
      metrics.observeHttpRequest(request.method, request.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
      done();
    });
    // Fastify answers a body over the limit before reading it, then closes: drain it first, so
    // the 413 reaches a client that is still sending (see drainRequest).
    // A callback hook, not an async one: no promise on every answer for the rare 413.
    instance.addHook('onSend', (request, reply, payload, done) => {
      if (reply.statusCode !== 413) done(null, payload);
      else drainRequest(request.raw).then(() => done(null, payload), done);
    });
    app = fastify;
  } else {
    const { LeanExpressAdapter } = await import('./lean-express.adapter.js');
    const express = await NestFactory.create<NestExpressApplication>(module, new LeanExpressAdapter(), { ...options, bodyParser: false });
    const logRequest = express.get<string, RequestLogger>(HTTP_LOGGER);
    const metrics = express.get(MetricsService);
    express.use((request: IncomingMessage & { route?: { path?: string } }, response: ServerResponse, next: () => void) => {
      const started = performance.now();
      // Express sets request.route to the matched route, whose path is the declared one (`/users/:id`).
      response.once('finish', () => {
        metrics.observeHttpRequest(request.method ?? '', request.route?.path, response.statusCode, (performance.now() - started) / 1000);
      });
      logRequest(request, response, next);
    });
    // The batch route's own JSON parser runs first; the general one then finds the body read and skips it.
    // express comes with @nestjs/platform-express (no typings here: only json() is used).
    const expressPackage = 'express';
    const { default: expressModule } = (await import(expressPackage)) as unknown as {
      default: { json(options: { limit: number }): ExpressHandler };
    };
    const batchJson = expressModule.json({ limit: BATCH_BODY_LIMIT_BYTES });
    express.use((request: IncomingMessage, response: ServerResponse, next: (error?: unknown) => void) => {
      if (request.method === 'POST' && request.url?.split('?')[0] === BATCH_ROUTE) batchJson(request, response, next);
      else next();
    });
    express.useBodyParser('json', { limit });
    express.useBodyParser('urlencoded', { limit, extended: true });
    express.useBodyParser('text', { limit, type: XML_TYPES });
    express.set('trust proxy', config.http.trustProxy);
    express.disable('x-powered-by');
    // Nothing here answers conditional requests: hashing every body for an ETag is waste.
    express.set('etag', false);
    app = express;
  }
  app.useLogger(app.get(PinoLoggerService));
  setUpOpenApi(app);
  return app;
}

type ExpressHandler = (request: IncomingMessage, response: ServerResponse, next: (error?: unknown) => void) => void;

/** Fastify's types take a hop count as a function (as Express's proxy-addr does internally). */
function fastifyTrustProxy(value: AppConfig['http']['trustProxy']) {
  return typeof value === 'number' ? (_address: string, hop: number) => hop < value : value;
}

function setUpOpenApi(app: INestApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('WeChat mini-program backend')
      .setDescription('Login, sessions, users and subscribe messages. Errors are {statusCode, code, message}.')
      .setVersion('0.1.0')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}

/**
 * SIGTERM/SIGINT: stop accepting, let in-flight requests finish (their answers carry
 * `Connection: close`), close idle keep-alive sockets, and at the drain deadline close whatever
 * is left (a client stuck mid-request); then the database and Redis, and exit 0. The HTTP server
 * is drained before app.close() because Nest runs module-destroy hooks (the cache's Redis
 * disconnect among them) before closing it, and Nest's own signal hooks re-raise the signal
 * instead of exiting 0.
 */
export function closeOnSignals(app: INestApplication, { drainMs = 7000, exitMs = 9500 } = {}): void {
  const server = app.getHttpServer() as Server;
  const open = new OpenResponses();
  let closing = false;
  server.prependListener('request', (_request: IncomingMessage, response: ServerResponse) => {
    if (closing) response.setHeader('Connection', 'close');
    open.add(response);
  });
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    const logger = app.get(PinoLoggerService);
    logger.log(`${signal} received, shutting down`, 'Shutdown');
    // Last resort, should closing the database or Redis itself hang.
    setTimeout(() => process.exit(1), exitMs).unref();
    for (const response of open) if (!response.headersSent) response.setHeader('Connection', 'close');
    try {
      const stuck = await drain(server, drainMs);
      if (stuck > 0) logger.warn(`Closed ${stuck} connection(s) still open at the drain deadline`, 'Shutdown');
      await app.close();
      logger.log('Shutdown complete: HTTP drained, database and Redis closed', 'Shutdown');
      process.exit(0);
    } catch (error) {
      logger.error(error, 'Shutdown');
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

/** Resolves once every connection is closed; returns how many had to be cut at the deadline. */
function drain(server: Server, deadlineMs: number): Promise<number> {
  return new Promise((resolve) => {
    let cut = 0;
    // Keep-alive sockets turn idle one by one as their last response goes out.
    const idleCloser = setInterval(() => server.closeIdleConnections(), 50);
    const deadline = setTimeout(() => {
      server.getConnections((_error, count) => {
        cut = count;
        server.closeAllConnections();
      });
    }, deadlineMs);
    server.close(() => {
      clearInterval(idleCloser);
      clearTimeout(deadline);
      resolve(cut);
    });
    server.closeIdleConnections();
  });
}
