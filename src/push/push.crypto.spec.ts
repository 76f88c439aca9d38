import { randomBytes } from 'node:crypto';
import { PushCipher, PushDecryptError, pushSignature, signaturesMatch } from './push.crypto.js';

// Tencent's WXBizMsgCrypt sample (the official encryption demo): token, key, appid, and a push it decrypts.
const SAMPLE = {
  token: 'spamtest',
  aesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
  appId: 'wx2c2769f8efd9abc2',
  timestamp: '1409735669',
  nonce: '1320562132',
  msgSignature: '5d197aaffba7e9b25a30732f161a50dee96bd5fa',
  encrypt:
    'hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=',
};

describe('push crypto', () => {
  it('signs URL verification as the worked example of wechat-api.md §7', () => {
    expect(pushSignature('AAAAA', '1714036504', '1514711492')).toBe('f464b24fc39322e44b38aa78f5edd27bd1441696');
  });

  it('computes msg_signature over token, timestamp, nonce and Encrypt (official sample)', () => {
    expect(pushSignature(SAMPLE.token, SAMPLE.timestamp, SAMPLE.nonce, SAMPLE.encrypt)).toBe(SAMPLE.msgSignature);
  });

  it('decrypts the official sample to its XML and appid', () => {
    const { message, appId } = new PushCipher(SAMPLE.aesKey).decrypt(SAMPLE.encrypt);
    expect(appId).toBe(SAMPLE.appId);
    expect(message).toContain('<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>');
    expect(message).toContain('<MsgId>6054768590064713728</MsgId>');
    expect(message.endsWith('</xml>')).toBe(true);
  });

  it('round-trips any message, multi-byte text and every padding length included', () => {
    const cipher = new PushCipher(randomBytes(32).toString('base64').slice(0, 43));
    for (let length = 0; length <= 70; length += 1) {
      const message = '订'.repeat(length % 5) + 'x'.repeat(length);
      expect(cipher.decrypt(cipher.encrypt(message, 'wxapp'))).toEqual({ message, appId: 'wxapp' });
    }
  });

  it('encrypts deterministically for a given random prefix (the layout random|len|msg|appid)', () => {
    const cipher = new PushCipher(SAMPLE.aesKey);
    const random = Buffer.alloc(16, 7);
    expect(cipher.encrypt('hello', 'wxapp', random)).toBe(cipher.encrypt('hello', 'wxapp', random));
    expect(cipher.encrypt('hello', 'wxapp', random)).not.toBe(cipher.encrypt('hello', 'wxapp', Buffer.alloc(16, 8)));
  });

  it('refuses what is not such a ciphertext', () => {
    const cipher = new PushCipher(SAMPLE.aesKey);
    const other = new PushCipher(randomBytes(32).toString('base64').slice(0, 43));
    for (const bad of ['', 'not base64!', 'AAAA', Buffer.alloc(31).toString('base64'), other.encrypt('x'.repeat(40), 'wxapp')]) {
      expect(() => cipher.decrypt(bad)).toThrow(PushDecryptError);
    }
  });

  it('compares signatures exactly (case of hex aside), never throwing on odd input', () => {
    const good = pushSignature('t', '1', '2');
    expect(signaturesMatch(good, good)).toBe(true);
    expect(signaturesMatch(good, good.toUpperCase())).toBe(true);
    expect(signaturesMatch(good, good.slice(1))).toBe(false);
    expect(signaturesMatch(good, `${good.slice(0, -1)}${good.endsWith('0') ? '1' : '0'}`)).toBe(false);
    expect(signaturesMatch(good, '订'.repeat(40))).toBe(false);
  });

  it('accepts only a 43-character EncodingAESKey', () => {
    expect(() => new PushCipher('short')).toThrow();
    expect(() => new PushCipher(`${SAMPLE.aesKey}=`)).toThrow();
  });
});
