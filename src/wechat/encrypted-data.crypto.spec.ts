import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, it, expect } from '@jest/globals';
import { decryptUserData, EncryptedDataError } from './encrypted-data.crypto.js';

// A vector made outside this code, with the OpenSSL command line:
//   printf '%s' "$PLAIN" | openssl enc -aes-128-cbc -K 000102…0e0f -iv 101112…1e1f | base64 -w0
const KEY = 'AAECAwQFBgcICQoLDA0ODw=='; // bytes 00..0f
const IV = 'EBESExQVFhcYGRobHB0eHw=='; // bytes 10..1f
const APP_ID = 'wx0123456789abcdef';
const PLAIN = {
  phoneNumber: '13800138000',
  purePhoneNumber: '13800138000',
  countryCode: '86',
  watermark: { timestamp: 1700000000, appid: APP_ID },
};
const CIPHERTEXT =
  'aLhedzo+Z6es5zW+YHo9susiHnaEYeAkbZXA6vB3xXwsEHApbzM53NsvIVPS8sbzE9Tu3cKoosCIaJ9ReH9c7q8xI4AFlJ8HTHrrdVC0WzSFVEG+Q/SUBzVOfvRAiCzg9pRwA0o1X/SBOShf2kiL8wNfdlkWY+I9rsvJLhx38KPligMy/5ajh2WA9GMad7QPJ4mOrRhNln1eQPztHyRiSA==';
// 'not json at all!' with valid padding, and one raw block ending in 05 04 (invalid PKCS#7), same key and iv.
const NOT_JSON = 'WR7TeFhcxmU95efV7cbI+bc17GJi0E4l4p7/+2I+qko=';
const BAD_PADDING = 'e4noQNL2ygTBU3wckVhb2A==';

function encrypt(key: Buffer, iv: Buffer, plaintext: string): string {
  const cipher = createCipheriv('aes-128-cbc', key, iv);
  return Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]).toString('base64');
}

function failure(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(EncryptedDataError);
    return (error as EncryptedDataError).kind;
  }
  throw new Error('expected an EncryptedDataError');
}

describe('decryptUserData (WXBizDataCrypt)', () => {
  it('decrypts the OpenSSL-made vector', () => {
    expect(decryptUserData(KEY, { encryptedData: CIPHERTEXT, iv: IV }, APP_ID)).toEqual(PLAIN);
  });

  it('round-trips any JSON object with a random key and iv, multi-byte text included', () => {
    for (let i = 0; i < 20; i += 1) {
      const key = randomBytes(16);
      const iv = randomBytes(16);
      const payload = {
        stepInfoList: [{ timestamp: 1700000000 + i, step: i * 1000 }],
        nickName: '微信用户😀'.repeat(i),
        watermark: { appid: APP_ID, timestamp: i },
      };
      const encryptedData = encrypt(key, iv, JSON.stringify(payload));
      expect(decryptUserData(key.toString('base64'), { encryptedData, iv: iv.toString('base64') }, APP_ID)).toEqual(payload);
    }
  });

  it('refuses data whose watermark names another app, or has no watermark', () => {
    expect(failure(() => decryptUserData(KEY, { encryptedData: CIPHERTEXT, iv: IV }, 'wxsomeoneelse00000'))).toBe('wrong_app');
    const key = randomBytes(16);
    const iv = randomBytes(16);
    for (const payload of [{ a: 1 }, { watermark: null }, { watermark: { appid: 42 } }, { watermark: 'wx0123456789abcdef' }]) {
      const encryptedData = encrypt(key, iv, JSON.stringify(payload));
      expect(failure(() => decryptUserData(key.toString('base64'), { encryptedData, iv: iv.toString('base64') }, APP_ID))).toBe(
        'wrong_app',
      );
    }
  });

  it('fails on bad padding', () => {
    expect(failure(() => decryptUserData(KEY, { encryptedData: BAD_PADDING, iv: IV }, APP_ID))).toBe('decrypt_failed');
  });

  it('fails with another session_key (a rotated key) and never returns data', () => {
    for (let i = 0; i < 20; i += 1) {
      expect(failure(() => decryptUserData(randomBytes(16).toString('base64'), { encryptedData: CIPHERTEXT, iv: IV }, APP_ID))).toBe(
        'decrypt_failed',
      );
    }
  });

  it('fails on plaintext that is not a JSON object, without quoting it', () => {
    let message = '';
    try {
      decryptUserData(KEY, { encryptedData: NOT_JSON, iv: IV }, APP_ID);
    } catch (error) {
      message = (error as Error).message;
      expect(error).toMatchObject({ kind: 'decrypt_failed' });
      expect((error as Error).cause).toBeUndefined();
    }
    expect(message).toBe('encrypted data does not decrypt');
    const key = randomBytes(16);
    const iv = randomBytes(16);
    for (const text of ['[1,2]', '"text"', '42', 'null', '{"a":']) {
      const encryptedData = encrypt(key, iv, text);
      expect(failure(() => decryptUserData(key.toString('base64'), { encryptedData, iv: iv.toString('base64') }, APP_ID))).toBe(
        'decrypt_failed',
      );
    }
  });

  it('fails on plaintext that is not UTF-8', () => {
    const key = randomBytes(16);
    const iv = randomBytes(16);
    const cipher = createCipheriv('aes-128-cbc', key, iv);
    const encryptedData = Buffer.concat([cipher.update(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), cipher.final()]).toString('base64');
    expect(failure(() => decryptUserData(key.toString('base64'), { encryptedData, iv: iv.toString('base64') }, APP_ID))).toBe(
      'decrypt_failed',
    );
  });

  it.each([
    ['an iv of 15 bytes', KEY, CIPHERTEXT, Buffer.alloc(15).toString('base64')],
    ['an iv of 17 bytes', KEY, CIPHERTEXT, Buffer.alloc(17).toString('base64')],
    ['an iv that is not base64', KEY, CIPHERTEXT, 'EBESExQVFhcYGRobHB0eH*=='],
    ['a session_key of 32 bytes', Buffer.alloc(32).toString('base64'), CIPHERTEXT, IV],
    ['a session_key that is not base64', 'not a key', CIPHERTEXT, IV],
    ['ciphertext that is not base64', KEY, `${CIPHERTEXT.slice(0, -4)}!!!!`, IV],
    ['ciphertext not a whole number of blocks', KEY, CIPHERTEXT.slice(0, 20), IV],
    ['empty ciphertext', KEY, '', IV],
    ['ciphertext with spaces where + was', KEY, CIPHERTEXT.replace(/\+/g, ' '), IV],
  ])('fails on %s', (_name, key, encryptedData, iv) => {
    expect(failure(() => decryptUserData(key, { encryptedData, iv }, APP_ID))).toBe('decrypt_failed');
  });
});
