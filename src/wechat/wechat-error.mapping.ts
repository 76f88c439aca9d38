import { Logger } from '@nestjs/common';
import type { DomainError } from '../common/errors/domain.error.js';
import type { CataloguedError } from '../common/errors/error-catalogue.js';
import { type WechatError, type WechatErrorKind, WechatApiError, WechatErrors } from './wechat.errors.js';

export type WechatErrorMapping = Partial<Record<WechatErrorKind | 'timeout' | 'network' | 'bad_response', CataloguedError>>;

// What every feature shares; a feature overrides the kinds that mean something else for it.
const COMMON: WechatErrorMapping = {
  rate_limited: WechatErrors.WECHAT_RATE_LIMITED,
  quota_exceeded: WechatErrors.WECHAT_QUOTA_EXCEEDED,
  busy: WechatErrors.WECHAT_BUSY,
  timeout: WechatErrors.WECHAT_TIMEOUT,
  network: WechatErrors.WECHAT_UNREACHABLE,
  bad_response: WechatErrors.WECHAT_BAD_RESPONSE,
  invalid_credentials: WechatErrors.WECHAT_MISCONFIGURED,
  token_invalid: WechatErrors.WECHAT_TOKEN_REJECTED,
  token_expired: WechatErrors.WECHAT_TOKEN_REJECTED,
};

const logger = new Logger('WechatErrors');

/** Turns a WeChat failure into the client-facing error; WeChat's errcode travels in the body. */
export function toDomainError(error: WechatError, overrides: WechatErrorMapping = {}): DomainError {
  const catalogued = overrides[error.kind] ?? COMMON[error.kind] ?? WechatErrors.WECHAT_ERROR;
  if (error.kind === 'invalid_credentials') logger.error(`WeChat refused our credentials: ${error.message}`);
  const details = error instanceof WechatApiError ? { errcode: error.errcode, errmsg: error.errmsg } : {};
  return catalogued({ details, cause: error });
}
