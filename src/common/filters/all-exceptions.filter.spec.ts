import { beforeAll, describe, expect, it } from '@jest/globals';
import {
  type ArgumentsHost,
  BadRequestException,
  HttpException,
  Logger,
  NotFoundException,
  PayloadTooLargeException,
  ServiceUnavailableException,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { TooManyLoginsError } from '../../auth/login-throttle.guard.js';
import { TemplatesErrors } from '../../templates/templates.errors.js';
import { AllExceptionsFilter } from './all-exceptions.filter.js';

beforeAll(() => Logger.overrideLogger(false));

interface Answer {
  status?: number;
  body?: unknown;
  headers: Record<string, string>;
}

/** Runs the filter with an HTTP adapter that records what it would answer. */
function answer(exception: unknown): Answer {
  const recorded: Answer = { headers: {} };
  const host = new HttpAdapterHost();
  Object.assign(host, {
    httpAdapter: {
      reply: (_response: unknown, body: unknown, status: number) => Object.assign(recorded, { body, status }),
      setHeader: (_response: unknown, name: string, value: string) => (recorded.headers[name] = value),
    },
  });
  const context = { switchToHttp: () => ({ getResponse: () => ({}), getRequest: () => ({}) }) } as unknown as ArgumentsHost;
  new AllExceptionsFilter(host).catch(exception, context);
  return recorded;
}

describe('AllExceptionsFilter', () => {
  it('answers a domain error with its status, code, message and details', () => {
    const error = TemplatesErrors.WECHAT_INVALID_ARGUMENT({ details: { errcode: 47003, errmsg: 'argument invalid!' } });
    expect(answer(error)).toEqual({
      status: 422,
      body: {
        statusCode: 422,
        code: 'WECHAT_INVALID_ARGUMENT',
        message: 'WeChat rejected the message',
        errcode: 47003,
        errmsg: 'argument invalid!',
      },
      headers: {},
    });
  });

  it('sets Retry-After for a throttled login', () => {
    expect(answer(new TooManyLoginsError(42))).toEqual({
      status: 429,
      body: { statusCode: 429, code: 'TOO_MANY_LOGINS', message: 'Too many login attempts from this address; retry later', retryAfter: 42 },
      headers: { 'Retry-After': '42' },
    });
  });

  it('joins the validation pipe messages under VALIDATION_FAILED', () => {
    const error = new BadRequestException(['code must be a string', 'code should not be empty']);
    expect(answer(error).body).toEqual({
      statusCode: 400,
      code: 'VALIDATION_FAILED',
      message: 'code must be a string; code should not be empty',
    });
  });

  it('names a body that is not JSON INVALID_JSON', () => {
    const error = new BadRequestException('Unexpected token } in JSON at position 9', { cause: new SyntaxError('Unexpected token') });
    expect(answer(error).body).toEqual({ statusCode: 400, code: 'INVALID_JSON', message: 'Request body is not valid JSON' });
  });

  it.each([
    [new NotFoundException('Cannot GET /nowhere'), 404, 'NOT_FOUND', 'Cannot GET /nowhere'],
    [new PayloadTooLargeException('request entity too large'), 413, 'PAYLOAD_TOO_LARGE', 'request entity too large'],
    [new HttpException("I'm a teapot", 418), 418, 'HTTP_ERROR', "I'm a teapot"],
    [new HttpException('upstream down', 502), 502, 'INTERNAL_ERROR', 'upstream down'],
    [new HttpException('broken', 500), 500, 'INTERNAL_ERROR', 'Internal server error'],
  ])('gives a framework error a stable code: %s', (error, statusCode, code, message) => {
    expect(answer(error)).toEqual({ status: statusCode, body: { statusCode, code, message }, headers: {} });
  });

  it('answers anything else with a 500 and an error id, never its message', () => {
    const { status, body } = answer(new Error('secret detail of a crash'));
    expect(status).toBe(500);
    expect(body).toEqual({
      statusCode: 500,
      code: 'INTERNAL_ERROR',
      message: 'Internal server error',
      errorId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
  });

  it("keeps Terminus's health report as the body of its 503", () => {
    const report = { status: 'error', info: {}, error: { redis: { status: 'down' } }, details: { redis: { status: 'down' } } };
    expect(answer(new ServiceUnavailableException(report))).toEqual({ status: 503, body: report, headers: {} });
  });
});
