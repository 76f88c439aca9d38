import { defineErrors } from '../common/errors/error-catalogue.js';

/** Everything the message-push callback answers besides 200. */
export const PushErrors = defineErrors('push', {
  PUSH_NOT_CONFIGURED: { status: 404, message: 'The message-push callback is not configured (WECHAT_PUSH_TOKEN)' },
  PUSH_SIGNATURE_INVALID: { status: 401, message: 'The push signature does not match' },
  PUSH_SIGNATURE_REUSED: { status: 401, message: 'This signature was already used with another body' },
  PUSH_TIMESTAMP_STALE: { status: 401, message: 'The push timestamp is more than 300 s away from now' },
  PUSH_ENCRYPTION_REQUIRED: {
    status: 401,
    message: 'With WECHAT_PUSH_AES_KEY set, only encrypted (compatible or safe mode) pushes are accepted',
  },
  PUSH_DECRYPT_FAILED: { status: 401, message: 'The push ciphertext does not decrypt with our EncodingAESKey' },
  PUSH_WRONG_APP: { status: 401, message: 'The push was encrypted for another appid' },
  PUSH_BODY_INVALID: { status: 400, message: 'The push body is not a WeChat push: {reason}' },
  // Another request is applying the same push right now: WeChat should deliver it again.
  PUSH_IN_PROGRESS: { status: 503, message: 'The same push is being applied; try again' },
});
