import { Global, Module, ValidationPipe } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { Clock, SystemClock } from './clock.js';
import { AllExceptionsFilter } from './filters/all-exceptions.filter.js';

/** The one validation pipe: unknown fields are a 400, never silently dropped. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true, forbidUnknownValues: true, stopAtFirstError: true });
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
