import { Logger } from '@nestjs/common';
import { DomainError } from '../common/errors/domain.error.js';
import { type WechatError, type WechatErrorKind, WechatApiError } from './wechat.errors.js';

type Mapping = Partial<Record<WechatErrorKind | 'timeout' | 'network' | 'bad_response', [status: number, code: string, message: string]>>;

// What every feature shares; a feature overrides the kinds that mean something else for it.
const COMMON: Mapping = {
  rate_limited: [429, 'WECHAT_RATE_LIMITED', 'WeChat rate limit reached, retry later'],
  quota_exceeded: [429, 'WECHAT_QUOTA_EXCEEDED', 'WeChat daily quota reached'],
  busy: [503, 'WECHAT_BUSY', 'WeChat is busy, retry later'],
  timeout: [504, 'WECHAT_TIMEOUT', 'WeChat did not answer in time'],
  network: [502, 'WECHAT_UNREACHABLE', 'WeChat could not be reached'],
  bad_response: [502, 'WECHAT_BAD_RESPONSE', 'WeChat gave an unexpected answer'],
  invalid_credentials: [502, 'WECHAT_MISCONFIGURED', 'The WeChat app credentials were refused'],
  token_invalid: [502, 'WECHAT_TOKEN_REJECTED', 'WeChat refused the access token'],
  token_expired: [502, 'WECHAT_TOKEN_REJECTED', 'WeChat refused the access token'],
};
const FALLBACK: [number, string, string] = [502, 'WECHAT_ERROR', 'WeChat refused the request'];

const logger = new Logger('WechatErrors');

/** Turns a WeChat failure into the client-facing error; WeChat's errcode travels in the body. */
export function toDomainError(error: WechatError, overrides: Mapping = {}): DomainError {
  const [status, code, message] = overrides[error.kind] ?? COMMON[error.kind] ?? FALLBACK;
  if (error.kind === 'invalid_credentials') logger.error(`WeChat refused our credentials: ${error.message}`);
  const details = error instanceof WechatApiError ? { errcode: error.errcode, errmsg: error.errmsg } : {};
  return new DomainError(code, message, status, details, { cause: error });
}
