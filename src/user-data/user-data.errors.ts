import { defineErrors } from '../common/errors/error-catalogue.js';

export const UserDataErrors = defineErrors('user-data', {
  PHONE_CODE_INVALID: {
    status: 422,
    code: 'WECHAT_INVALID_CODE',
    message: 'The phone code is invalid, expired or already used; ask the user to tap the phone button again',
  },
  WECHAT_DATA_WRONG_APP: { status: 422, message: 'The encrypted data was made for another mini-program' },
  WECHAT_DECRYPT_FAILED: {
    status: 422,
    message: "The data does not decrypt with the user's current session_key; call wx.login() and fetch it again",
  },
  SESSION_KEY_UNKNOWN: {
    status: 422,
    code: 'WECHAT_DECRYPT_FAILED',
    message: 'No session_key is known for this user; log in again with wx.login()',
  },
  NOT_PHONE_DATA: { status: 422, code: 'WECHAT_DECRYPT_FAILED', message: 'The decrypted data is not a phone number' },
});
