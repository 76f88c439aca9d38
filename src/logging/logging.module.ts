import { Global, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Logger as Pino } from 'pino';
import type { AppConfig } from '../config/app-config.js';
import { createLogger } from './logger.options.js';
import { PinoLoggerService } from './pino-logger.service.js';
import { createRequestLogger } from './request-logger.js';

export const PINO = 'PINO';
export const HTTP_LOGGER = 'HTTP_LOGGER';

/**
 * pino with credentials redacted: JSON lines, or pino-pretty on a terminal (LOG_FORMAT). HTTP_LOGGER (the
 * request logger) is attached to the raw server by the bootstrap, ahead of body parsing, so even a 400/413
 * gets its line, and everything after it runs in the request's context (its id on every line).
 * Hand-written instead of nestjs-pino, which is CommonJS and cannot load ESM-only NestJS 12 inside jest
 * on Node 20 (see README).
 */
@Global()
@Module({
  providers: [
    {
      provide: PINO,
      inject: [ConfigService],
      useFactory: (config: ConfigService<AppConfig, true>) =>
        createLogger(config.get('log', { infer: true }), process.stdout.isTTY === true),
    },
    { provide: PinoLoggerService, inject: [PINO], useFactory: (logger: Pino) => new PinoLoggerService(logger) },
    { provide: HTTP_LOGGER, inject: [PINO], useFactory: (logger: Pino) => createRequestLogger(logger) },
  ],
  exports: [PINO, PinoLoggerService, HTTP_LOGGER],
})
export class LoggingModule {}
