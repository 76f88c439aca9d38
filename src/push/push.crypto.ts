import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * WeChat's message-push signatures and AES envelope (wechat-api.md §7; the encryption plan in
 * https://developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/2.0/api/Before_Develop/Technical_Plan.html).
 * Pure functions, shared by the verifier and by the fake WeChat that builds pushes.
 */

/** sha1 of the parts sorted as strings and joined, lower-case hex: `signature` and `msg_signature`. */
export function pushSignature(...parts: string[]): string {
  return createHash('sha1')
    .update([...parts].sort().join(''))
    .digest('hex');
}

/** Constant-time comparison of two hex signatures (any other text is simply unequal). */
export function signaturesMatch(expected: string, given: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given.toLowerCase(), 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

export const ENCODING_AES_KEY = /^[A-Za-z0-9+/]{43}$/;

// The plaintext is padded to a multiple of 32 bytes (PKCS#7 with a 32-byte block), not AES's 16.
const PAD_BLOCK = 32;

export class PushDecryptError extends Error {
  override name = 'PushDecryptError';
}

/** AES-256-CBC with the key from the 43-character EncodingAESKey and the IV its first 16 bytes. */
export class PushCipher {
  private readonly key: Buffer;
  private readonly iv: Buffer;

  constructor(encodingAesKey: string) {
    if (!ENCODING_AES_KEY.test(encodingAesKey)) throw new Error('An EncodingAESKey is 43 base64 characters');
    this.key = Buffer.from(`${encodingAesKey}=`, 'base64');
    this.iv = this.key.subarray(0, 16);
  }

  /** `random(16) | msg_len(4, big-endian) | msg | appid`, padded and encrypted, as base64. */
  encrypt(message: string, appId: string, random: Buffer = randomBytes(16)): string {
    const body = Buffer.from(message, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(body.length);
    const plain = Buffer.concat([random, length, body, Buffer.from(appId, 'utf8')]);
    const pad = PAD_BLOCK - (plain.length % PAD_BLOCK);
    const cipher = createCipheriv('aes-256-cbc', this.key, this.iv).setAutoPadding(false);
    return Buffer.concat([cipher.update(Buffer.concat([plain, Buffer.alloc(pad, pad)])), cipher.final()]).toString('base64');
  }

  /** The message and the appid it was encrypted for; PushDecryptError when it is not such a ciphertext. */
  decrypt(encrypted: string): { message: string; appId: string } {
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encrypted)) throw new PushDecryptError('not base64');
    const data = Buffer.from(encrypted, 'base64');
    if (data.length === 0 || data.length % 16 !== 0) throw new PushDecryptError('not a whole number of AES blocks');
    let plain: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-cbc', this.key, this.iv).setAutoPadding(false);
      plain = Buffer.concat([decipher.update(data), decipher.final()]);
    } catch (error) {
      throw new PushDecryptError('does not decrypt', { cause: error });
    }
    const pad = plain[plain.length - 1];
    if (pad < 1 || pad > PAD_BLOCK || pad > plain.length) throw new PushDecryptError('bad padding');
    const unpadded = plain.subarray(0, plain.length - pad);
    if (unpadded.length < 20) throw new PushDecryptError('too short');
    const length = unpadded.readUInt32BE(16);
    if (20 + length > unpadded.length) throw new PushDecryptError('message length out of range');
    return {
      message: unpadded.subarray(20, 20 + length).toString('utf8'),
      appId: unpadded.subarray(20 + length).toString('utf8'),
    };
  }
}
