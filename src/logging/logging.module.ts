import { Global, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { pino, type Logger as Pino } from 'pino';
import type { AppConfig } from '../config/app-config.js';
import { baseLoggerOptions } from './logger.options.js';
import { PinoLoggerService } from './pino-logger.service.js';
import { createRequestLogger } from './request-logger.js';

export const PINO = 'PINO';
export const HTTP_LOGGER = 'HTTP_LOGGER';

/**
 * JSON logs through pino with credentials redacted. HTTP_LOGGER (the request logger) is attached to the raw
 * server by the bootstrap, ahead of body parsing, so even a 400/413 gets its line and request id. Hand-written instead of nestjs-pino, which is CommonJS and cannot load
 * ESM-only NestJS 12 inside jest on Node 20 (see README).
 */
@Global()
@Module({
  providers: [
    {
      provide: PINO,
      inject: [ConfigService],
      useFactory: (config: ConfigService<AppConfig, true>) => pino(baseLoggerOptions(config.get('log', { infer: true }).level)),
    },
    { provide: PinoLoggerService, inject: [PINO], useFactory: (logger: Pino) => new PinoLoggerService(logger) },
    { provide: HTTP_LOGGER, inject: [PINO], useFactory: (logger: Pino) => createRequestLogger(logger) },
  ],
  exports: [PINO, PinoLoggerService, HTTP_LOGGER],
})
export class LoggingModule {}
