import { defineErrors } from '../common/errors/error-catalogue.js';

export type WechatErrorKind =
  | 'invalid_code'
  | 'code_used'
  | 'code_blocked'
  | 'rate_limited'
  | 'quota_exceeded'
  | 'busy'
  | 'token_invalid'
  | 'token_expired'
  | 'not_subscribed'
  | 'invalid_argument'
  | 'invalid_credentials'
  | 'invalid_signature'
  | 'unknown';

export type WechatEndpointName =
  'jscode2session' | 'token' | 'stable_token' | 'subscribe_send' | 'template_send' | 'getuserphonenumber' | 'checksession';

// See ../shared/wechat-api.md §0–§6 for where each code comes from.
const KIND_BY_ERRCODE: Record<number, WechatErrorKind> = {
  [-1]: 'busy',
  40029: 'invalid_code',
  40163: 'code_used',
  40226: 'code_blocked',
  45011: 'rate_limited',
  45009: 'quota_exceeded',
  40001: 'token_invalid',
  40014: 'token_invalid',
  41001: 'token_invalid',
  42001: 'token_expired',
  43101: 'not_subscribed',
  40003: 'invalid_argument',
  40037: 'invalid_argument',
  41030: 'invalid_argument',
  47003: 'invalid_argument',
  41028: 'invalid_argument',
  41029: 'invalid_argument',
  47001: 'invalid_argument',
  40002: 'invalid_argument',
  40013: 'invalid_credentials',
  40125: 'invalid_credentials',
  40164: 'invalid_credentials',
  41002: 'invalid_credentials',
  41004: 'invalid_credentials',
  48001: 'invalid_credentials',
  87009: 'invalid_signature',
};

export function kindOfErrcode(errcode: number, endpoint: WechatEndpointName): WechatErrorKind {
  // On the token endpoints 40001 means a wrong AppSecret, not a bad access token.
  if (errcode === 40001 && (endpoint === 'token' || endpoint === 'stable_token')) return 'invalid_credentials';
  return KIND_BY_ERRCODE[errcode] ?? 'unknown';
}

/** WeChat answered with a non-zero errcode. */
export class WechatApiError extends Error {
  override name = 'WechatApiError';
  readonly kind: WechatErrorKind;

  constructor(
    readonly endpoint: WechatEndpointName,
    readonly errcode: number,
    readonly errmsg: string,
  ) {
    super(`WeChat ${endpoint} failed: errcode ${errcode} (${errmsg})`);
    this.kind = kindOfErrcode(errcode, endpoint);
  }
}

/** WeChat could not be reached, did not answer in time, or answered with something that is not its JSON. */
export class WechatTransportError extends Error {
  override name = 'WechatTransportError';

  constructor(
    readonly endpoint: WechatEndpointName,
    readonly kind: 'timeout' | 'network' | 'bad_response',
    detail: string,
  ) {
    super(`WeChat ${endpoint} ${kind}: ${detail}`);
  }
}

export type WechatError = WechatApiError | WechatTransportError;

export function isWechatError(error: unknown): error is WechatError {
  return error instanceof WechatApiError || error instanceof WechatTransportError;
}

/** What a WeChat failure means to our clients, whatever the feature; a feature overrides the kinds that mean more to it. */
export const WechatErrors = defineErrors('wechat', {
  WECHAT_RATE_LIMITED: { status: 429, message: 'WeChat rate limit reached, retry later' },
  WECHAT_QUOTA_EXCEEDED: { status: 429, message: 'WeChat daily quota reached' },
  WECHAT_BUSY: { status: 503, message: 'WeChat is busy, retry later' },
  WECHAT_TIMEOUT: { status: 504, message: 'WeChat did not answer in time' },
  WECHAT_UNREACHABLE: { status: 502, message: 'WeChat could not be reached' },
  WECHAT_BAD_RESPONSE: { status: 502, message: 'WeChat gave an unexpected answer' },
  WECHAT_MISCONFIGURED: { status: 502, message: 'The WeChat app credentials were refused' },
  WECHAT_TOKEN_REJECTED: { status: 502, message: 'WeChat refused the access token' },
  WECHAT_ERROR: { status: 502, message: 'WeChat refused the request' },
});
