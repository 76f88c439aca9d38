import { randomUUID } from 'node:crypto';
import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { DomainError } from '../errors/domain.error.js';
import { HttpErrors } from '../errors/http.errors.js';

export interface ErrorBody {
  statusCode: number;
  code: string;
  message: string;
  [detail: string]: unknown;
}

// The framework's exceptions carry only a status; these are the codes they are answered with.
const CODE_BY_STATUS: ReadonlyMap<number, string> = new Map(
  [
    HttpErrors.BAD_REQUEST,
    HttpErrors.UNAUTHORIZED,
    HttpErrors.FORBIDDEN,
    HttpErrors.NOT_FOUND,
    HttpErrors.METHOD_NOT_ALLOWED,
    HttpErrors.REQUEST_TIMEOUT,
    HttpErrors.CONFLICT,
    HttpErrors.PAYLOAD_TOO_LARGE,
    HttpErrors.UNSUPPORTED_MEDIA_TYPE,
    HttpErrors.UNPROCESSABLE_ENTITY,
    HttpErrors.TOO_MANY_REQUESTS,
    HttpErrors.SERVICE_UNAVAILABLE,
  ].map((error) => [error.status, error.code]),
);

/**
 * The one place errors become HTTP: domain errors carry their own status and code, framework
 * errors are given a stable code, anything else is a 500 logged once with an id the client sees.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ExceptionFilter');

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const { httpAdapter } = this.adapterHost;
    const response = host.switchToHttp().getResponse<unknown>();
    const passthrough = this.terminusBody(exception);
    if (passthrough) {
      httpAdapter.reply(response, passthrough, HttpStatus.SERVICE_UNAVAILABLE);
      return;
    }
    const body = this.toBody(exception);
    const retryAfter = (exception as { retryAfterSeconds?: unknown })?.retryAfterSeconds;
    if (typeof retryAfter === 'number') httpAdapter.setHeader(response, 'Retry-After', String(retryAfter));
    httpAdapter.reply(response, body, body.statusCode);
  }

  private toBody(exception: unknown): ErrorBody {
    if (exception instanceof DomainError) {
      if (exception.status >= 500) {
        // An outage or WeChat failing: logged with what caused it, which the client never sees.
        this.logger.warn({ code: exception.code, cause: describe(exception.cause) }, exception.message);
      }
      return { statusCode: exception.status, code: exception.code, message: exception.message, ...exception.details };
    }
    if (exception instanceof HttpException) {
      return this.fromHttpException(exception);
    }
    const errorId = randomUUID();
    this.logger.error({ err: exception, errorId }, 'Unhandled error');
    return { statusCode: 500, code: HttpErrors.INTERNAL_ERROR.code, message: HttpErrors.INTERNAL_ERROR.message, errorId };
  }

  private fromHttpException(exception: HttpException): ErrorBody {
    const statusCode = exception.getStatus();
    const response = exception.getResponse();
    let message = exception.message;
    let code = CODE_BY_STATUS.get(statusCode) ?? (statusCode >= 500 ? HttpErrors.INTERNAL_ERROR : HttpErrors.HTTP_ERROR).code;
    if (typeof response === 'object' && response !== null) {
      const raw = (response as { message?: unknown }).message;
      if (Array.isArray(raw)) {
        message = raw.join('; ');
        code = HttpErrors.VALIDATION_FAILED.code;
      } else if (typeof raw === 'string') {
        message = raw;
      }
    }
    if (statusCode === 400 && code !== HttpErrors.VALIDATION_FAILED.code && this.isJsonSyntaxError(exception)) {
      code = HttpErrors.INVALID_JSON.code;
      message = HttpErrors.INVALID_JSON.message;
    }
    if (statusCode >= 500) {
      this.logger.error({ err: exception }, 'HTTP 5xx');
      message = statusCode === 500 ? HttpErrors.INTERNAL_ERROR.message : message;
    }
    return { statusCode, code, message };
  }

  private isJsonSyntaxError(exception: HttpException): boolean {
    const cause = exception.cause as { code?: unknown } | undefined;
    return (
      cause instanceof SyntaxError ||
      cause?.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ||
      /JSON|Unexpected token|Unexpected end/i.test(exception.message)
    );
  }

  /** Terminus reports a failing check as a 503 whose body is the health report; keep that shape. */
  private terminusBody(exception: unknown): object | null {
    if (!(exception instanceof HttpException) || exception.getStatus() !== 503) return null;
    const response = exception.getResponse();
    if (typeof response === 'object' && response !== null && 'details' in response && 'status' in response) {
      return response;
    }
    return null;
  }
}

function describe(cause: unknown): { name?: string; message?: string; code?: unknown } | undefined {
  if (!(cause instanceof Error)) return undefined;
  return { name: cause.name, message: cause.message, code: (cause as { code?: unknown }).code };
}
