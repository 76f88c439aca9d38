import { createDecipheriv } from 'node:crypto';

export type EncryptedDataFailure = 'decrypt_failed' | 'wrong_app';

/**
 * Encrypted user data that cannot be used: it did not decrypt to a JSON object with the key and iv
 * given (`decrypt_failed`), or its watermark names another app (`wrong_app`). The message never
 * contains any of the data.
 */
export class EncryptedDataError extends Error {
  override name = 'EncryptedDataError';

  constructor(readonly kind: EncryptedDataFailure) {
    super(kind === 'wrong_app' ? 'encrypted data was made for another app' : 'encrypted data does not decrypt');
  }
}

export interface EncryptedData {
  /** Base64 text as WeChat hands it to the client (`encryptedData`). */
  encryptedData: string;
  /** Base64 of 16 bytes. */
  iv: string;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * WXBizDataCrypt (wechat-api.md §6b): AES-128-CBC with the base64-decoded session_key as key and the
 * given iv, PKCS#7 padding, UTF-8 JSON whose `watermark.appid` must be ours.
 * https://developers.weixin.qq.com/miniprogram/dev/framework/open-ability/signature.html
 */
export function decryptUserData(sessionKey: string, data: EncryptedData, appId: string): Record<string, unknown> {
  const key = strictBase64(sessionKey, 16);
  const iv = strictBase64(data.iv, 16);
  const ciphertext = strictBase64(data.encryptedData);
  if (!key || !iv || !ciphertext || ciphertext.length === 0 || ciphertext.length % 16 !== 0) {
    throw new EncryptedDataError('decrypt_failed');
  }
  let parsed: unknown;
  try {
    // OpenSSL checks every padding byte in final(); a wrong key fails there (or, rarely, in the JSON).
    const decipher = createDecipheriv('aes-128-cbc', key, iv);
    const plain = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plain));
  } catch {
    // Neither OpenSSL's nor JSON.parse's message is kept: the latter quotes the plaintext.
    throw new EncryptedDataError('decrypt_failed');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new EncryptedDataError('decrypt_failed');
  const watermark = (parsed as { watermark?: unknown }).watermark;
  if (typeof watermark !== 'object' || watermark === null || (watermark as { appid?: unknown }).appid !== appId) {
    throw new EncryptedDataError('wrong_app');
  }
  return parsed as Record<string, unknown>;
}

/** Base64 that Buffer.from would not silently repair (it skips bad characters), of `length` bytes when given. */
function strictBase64(text: string, length?: number): Buffer | null {
  if (typeof text !== 'string' || !BASE64.test(text)) return null;
  const bytes = Buffer.from(text, 'base64');
  return length === undefined || bytes.length === length ? bytes : null;
}
