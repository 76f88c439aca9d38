import { Global, Module, type PipeTransform } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { Clock, SystemClock } from './clock.js';
import { AllExceptionsFilter } from './filters/all-exceptions.filter.js';
import { RequestValidationPipe } from './pipes/request-validation.pipe.js';

/**
 * The one validation pipe: unknown fields are a 400, never silently dropped; a body nested too
 * deep, or one that makes validation throw, is a 400 too (RequestValidationPipe).
 */
export function createValidationPipe(): PipeTransform {
  return new RequestValidationPipe();
}

/** Cross-cutting request handling (one validation pipe, one exception filter) and the clock. */
@Global()
@Module({
  providers: [
    { provide: Clock, useClass: SystemClock },
    { provide: APP_FILTER, useClass: AllExceptionsFilter },
    { provide: APP_PIPE, useFactory: createValidationPipe },
  ],
  exports: [Clock],
})
export class CommonModule {}
