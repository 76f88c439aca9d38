import type { IncomingMessage, ServerResponse } from 'node:http';
import { type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AppModule } from './app.module.js';
import type { AppConfig } from './config/app-config.js';
import { HTTP_LOGGER } from './logging/logging.module.js';
import { PinoLoggerService } from './logging/pino-logger.service.js';
import type { HttpLogger } from 'pino-http';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/**
 * Builds the app on the configured HTTP adapter. The only place that knows Express or Fastify:
 * everything below works on both.
 */
export async function createApp(config: AppConfig): Promise<INestApplication> {
  const limit = config.http.bodyLimitBytes;
  const module = AppModule.forRoot(config);
  const options = { bufferLogs: true, abortOnError: false } as const;
  let app: INestApplication;
  if (config.http.adapter === 'fastify') {
    const fastify = await NestFactory.create<NestFastifyApplication>(module, new FastifyAdapter({ bodyLimit: limit, trustProxy: true }), options);
    const logRequest = fastify.get<string, HttpLogger>(HTTP_LOGGER);
    fastify.getHttpAdapter().getInstance().addHook('onRequest', (request, reply, done) => {
      logRequest(request.raw, reply.raw);
      done();
    });
    app = fastify;
  } else {
    const express = await NestFactory.create<NestExpressApplication>(module, new ExpressAdapter(), { ...options, bodyParser: false });
    const logRequest = express.get<string, HttpLogger>(HTTP_LOGGER);
    express.use((request: IncomingMessage, response: ServerResponse, next: () => void) => {
      logRequest(request, response);
      next();
    });
    express.useBodyParser('json', { limit });
    express.useBodyParser('urlencoded', { limit, extended: true });
    express.set('trust proxy', true);
    express.disable('x-powered-by');
    app = express;
  }
  app.useLogger(app.get(PinoLoggerService));
  setUpOpenApi(app);
  return app;
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
 * SIGTERM/SIGINT: stop accepting, let in-flight requests finish, close idle keep-alive sockets,
 * the database and Redis, then exit 0 (Nest's own hooks re-raise the signal instead).
 */
export function closeOnSignals(app: INestApplication, graceMs = 9000): void {
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    app.get(PinoLoggerService).log(`${signal} received, shutting down`);
    const force = setTimeout(() => process.exit(1), graceMs);
    force.unref();
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}
