import { isWechatError, WechatApiError, WechatTransportError } from '../../wechat/wechat.errors.js';

export interface SendFailure {
  /** Worth another attempt later: WeChat busy or rate limited, a timeout, a network error, a 5xx. */
  retryable: boolean;
  errcode: number | null;
  errmsg: string;
}

// -1 busy, 45009 daily quota, 45011 rate limit; token errors WeChat still gave after the send's
// own token replacement (withToken) and our credentials being refused are ours to retry, not the
// recipient's fault. Every other errcode (43101, 40003, 47003, …) is a refusal: failed at once.
const RETRYABLE_KINDS = new Set(['busy', 'quota_exceeded', 'rate_limited', 'token_invalid', 'token_expired', 'invalid_credentials']);

export function classifySendFailure(error: unknown): SendFailure {
  if (error instanceof WechatApiError) {
    return { retryable: RETRYABLE_KINDS.has(error.kind), errcode: error.errcode, errmsg: error.errmsg.slice(0, 512) };
  }
  if (error instanceof WechatTransportError) {
    // An HTTP 4xx from WeChat's gateway will not change on retry; 5xx, timeouts, network errors and garbled answers may.
    const clientError = error.kind === 'bad_response' && /HTTP 4\d\d/.test(error.message);
    return { retryable: !clientError, errcode: null, errmsg: error.message.slice(0, 512) };
  }
  // Not WeChat at all (the store holding the access token was unreachable): nothing was sent.
  return { retryable: !isWechatError(error), errcode: null, errmsg: `not sent: ${(error as Error)?.message ?? 'error'}`.slice(0, 512) };
}
