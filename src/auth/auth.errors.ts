import { defineErrors } from '../common/errors/error-catalogue.js';

export const AuthErrors = defineErrors('auth', {
  AUTH_TOKEN_MISSING: { status: 401, message: 'Authorization header with a session token is required' },
  AUTH_TOKEN_INVALID: { status: 401, message: 'The session token is unknown or expired' },
  // The access decorators (@UserOnly/@ServiceOnly) may word these for their route.
  USER_SESSION_REQUIRED: { status: 403, message: 'Only a user session may call this route' },
  SERVICE_TOKEN_REQUIRED: { status: 403, message: 'Only internal services may call this route' },
  TOO_MANY_LOGINS: { status: 429, message: 'Too many login attempts from this address; retry later' },
  WECHAT_INVALID_CODE: { status: 401, message: 'The login code is invalid or expired; call wx.login() again' },
  WECHAT_CODE_USED: { status: 401, code: 'WECHAT_INVALID_CODE', message: 'The login code was already used; call wx.login() again' },
  WECHAT_CODE_BLOCKED: { status: 403, message: 'WeChat blocked this login' },
});
