import { beforeAll, describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { toDomainError } from './wechat-error.mapping.js';
import { kindOfErrcode, WechatApiError, WechatErrors, WechatTransportError } from './wechat.errors.js';

beforeAll(() => Logger.overrideLogger(false));

describe('kindOfErrcode (wechat-api.md §0–§5)', () => {
  it.each([
    [-1, 'subscribe_send', 'busy'],
    [40029, 'jscode2session', 'invalid_code'],
    [40163, 'jscode2session', 'code_used'],
    [40226, 'jscode2session', 'code_blocked'],
    [45011, 'jscode2session', 'rate_limited'],
    [45009, 'subscribe_send', 'quota_exceeded'],
    [40001, 'subscribe_send', 'token_invalid'],
    [40014, 'subscribe_send', 'token_invalid'],
    [41001, 'subscribe_send', 'token_invalid'],
    [42001, 'subscribe_send', 'token_expired'],
    [43101, 'subscribe_send', 'not_subscribed'],
    [40003, 'subscribe_send', 'invalid_argument'],
    [40037, 'subscribe_send', 'invalid_argument'],
    [41030, 'subscribe_send', 'invalid_argument'],
    [47003, 'subscribe_send', 'invalid_argument'],
    [41028, 'template_send', 'invalid_argument'],
    [41029, 'template_send', 'invalid_argument'],
    [40013, 'stable_token', 'invalid_credentials'],
    [40125, 'stable_token', 'invalid_credentials'],
    // On the token endpoints 40001 is a wrong AppSecret, not a bad access token.
    [40001, 'token', 'invalid_credentials'],
    [40001, 'stable_token', 'invalid_credentials'],
    [99999, 'subscribe_send', 'unknown'],
  ] as const)('%i on %s is %s', (errcode, endpoint, kind) => {
    expect(kindOfErrcode(errcode, endpoint)).toBe(kind);
  });
});

describe('toDomainError', () => {
  it.each([
    [new WechatApiError('subscribe_send', 45011, 'api minute-quota reach limit'), 429, 'WECHAT_RATE_LIMITED'],
    [new WechatApiError('subscribe_send', 45009, 'reach max api daily quota limit'), 429, 'WECHAT_QUOTA_EXCEEDED'],
    [new WechatApiError('jscode2session', -1, 'system error'), 503, 'WECHAT_BUSY'],
    [new WechatApiError('stable_token', 40125, 'invalid appsecret'), 502, 'WECHAT_MISCONFIGURED'],
    [new WechatApiError('subscribe_send', 40001, 'invalid credential'), 502, 'WECHAT_TOKEN_REJECTED'],
    [new WechatApiError('subscribe_send', 42001, 'access_token expired'), 502, 'WECHAT_TOKEN_REJECTED'],
    [new WechatApiError('subscribe_send', 43101, 'user refuse to accept the msg'), 502, 'WECHAT_ERROR'],
    [new WechatApiError('subscribe_send', 99999, 'something new'), 502, 'WECHAT_ERROR'],
  ])('answers %s with %i %s, carrying errcode and errmsg', (error, status, code) => {
    const mapped = toDomainError(error);
    expect(mapped).toMatchObject({ status, code, details: { errcode: error.errcode, errmsg: error.errmsg } });
    expect(mapped.cause).toBe(error);
  });

  it.each([
    ['timeout', 504, 'WECHAT_TIMEOUT'],
    ['network', 502, 'WECHAT_UNREACHABLE'],
    ['bad_response', 502, 'WECHAT_BAD_RESPONSE'],
  ] as const)('answers a transport %s with %i %s and no errcode', (kind, status, code) => {
    const mapped = toDomainError(new WechatTransportError('subscribe_send', kind, 'detail'));
    expect(mapped).toMatchObject({ status, code, details: {} });
  });

  it('lets a feature override what a kind means to it, and only that kind', () => {
    const overrides = { not_subscribed: WechatErrors.WECHAT_BUSY };
    expect(toDomainError(new WechatApiError('subscribe_send', 43101, 'refused'), overrides)).toMatchObject({
      status: 503,
      code: 'WECHAT_BUSY',
    });
    expect(toDomainError(new WechatApiError('subscribe_send', 45011, 'limit'), overrides)).toMatchObject({
      status: 429,
      code: 'WECHAT_RATE_LIMITED',
    });
  });
});
