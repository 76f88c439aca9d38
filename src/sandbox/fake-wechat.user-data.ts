import { createCipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Rejection } from './fake-wechat.errors.js';
import type { JsonObject } from './fake-wechat.request.js';

// Phone codes (from <button open-type="getPhoneNumber">) are single use and live 5 minutes (wechat-api.md §6a, §9).
const PHONE_CODE_TTL_MS = 300_000;
/** Sandbox mode accepts codes it never issued, so remembered codes are capped (oldest dropped first). */
const MAX_PHONE_CODES = 10_000;

export interface FakePhone {
  /** Digits without the country code, e.g. '13800138000'. */
  purePhoneNumber: string;
  /** Digits, e.g. '86'. */
  countryCode: string;
}

interface PhoneCode {
  openid: string | undefined;
  phone: FakePhone;
  issuedAt: number;
  used: boolean;
  /** The watermark's appid; ours unless a test asks for another app's. */
  appId?: string;
}

export interface UserDataOptions {
  now: () => number;
  appId: string;
  /** The session_key WeChat currently holds for the user (only one is valid at a time). */
  sessionKey: (openid: string) => string | undefined;
  /** Sandbox mode: a phone code never issued is accepted once, with a phone number derived from it. */
  acceptAnyCode: boolean;
}

export const DEFAULT_PHONE: FakePhone = { purePhoneNumber: '13800138000', countryCode: '86' };

/** WeChat shows numbers outside China with their area code (wechat-api.md §6a); the exact spacing is not documented. */
export function displayedPhoneNumber(phone: FakePhone): string {
  return phone.countryCode === '86' ? phone.purePhoneNumber : `+${phone.countryCode}${phone.purePhoneNumber}`;
}

/**
 * WeChat's side of user data: `getuserphonenumber` (§6a), `checksession` (§6c), and the encrypted data a
 * client receives from wx APIs (§6b), made here the way WeChat makes it so the app's decryption is tested
 * against an independent encryption.
 */
export class FakeUserData {
  private readonly phoneCodes = new Map<string, PhoneCode>();
  private phoneSuccesses = 0;

  constructor(private readonly options: UserDataOptions) {}

  /** A fresh phone code; bound to `openid` when given (a request naming another openid gets 40029). */
  issuePhoneCode(openid: string | undefined, phone: FakePhone = DEFAULT_PHONE, overrides: { appId?: string } = {}): string {
    const code = randomBytes(24).toString('hex');
    this.remember(code, { openid, phone: { ...phone }, issuedAt: this.options.now(), used: false, appId: overrides.appId });
    return code;
  }

  /** `POST /wxa/business/getuserphonenumber` body → the success body, else throws the Rejection. */
  phoneNumber(body: JsonObject): string {
    const code = body['code'];
    if (typeof code !== 'string' || code === '') throw new Rejection(41008);
    const openid = typeof body['openid'] === 'string' && body['openid'] !== '' ? body['openid'] : undefined;
    const now = this.options.now();
    this.prune(now);
    let entry = this.phoneCodes.get(code);
    if (entry === undefined && this.options.acceptAnyCode) {
      entry = this.remember(code, { openid, phone: derivedPhone(code), issuedAt: now, used: false });
    }
    if (entry === undefined || entry.used || now - entry.issuedAt > PHONE_CODE_TTL_MS) throw new Rejection(40029);
    if (openid !== undefined && entry.openid !== undefined && entry.openid !== openid) throw new Rejection(40029);
    entry.used = true;
    // The table types countryCode as a string, the official example prints a number: send both, alternately.
    const countryCode = this.phoneSuccesses++ % 2 === 0 ? entry.phone.countryCode : Number(entry.phone.countryCode);
    return JSON.stringify({
      errcode: 0,
      errmsg: 'ok',
      phone_info: {
        phoneNumber: displayedPhoneNumber(entry.phone),
        purePhoneNumber: entry.phone.purePhoneNumber,
        countryCode,
        watermark: { timestamp: Math.floor(now / 1000), appid: entry.appId ?? this.options.appId },
      },
    });
  }

  /** `GET /wxa/checksession`: 87009 unless `signature` = hex HMAC-SHA256 keyed with the current session_key text over "". */
  checkSession(query: URLSearchParams): string {
    const openid = query.get('openid') ?? '';
    const sessionKey = this.options.sessionKey(openid);
    const signature = query.get('signature') ?? '';
    if (sessionKey === undefined || query.get('sig_method') !== 'hmac_sha256' || !/^[0-9a-f]{64}$/.test(signature)) {
      throw new Rejection(87009);
    }
    const expected = createHmac('sha256', Buffer.from(sessionKey, 'utf8')).update('').digest();
    if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) throw new Rejection(87009);
    return JSON.stringify({ errcode: 0, errmsg: 'ok' });
  }

  /**
   * What a wx API hands the client for `openid`: `payload` plus a watermark, AES-128-CBC encrypted with
   * the user's current session_key and a random iv. `appId`/`sessionKey` override ours for negative tests.
   */
  encrypt(
    openid: string,
    payload: JsonObject,
    overrides: { appId?: string; sessionKey?: string } = {},
  ): { encryptedData: string; iv: string } {
    const sessionKey = overrides.sessionKey ?? this.options.sessionKey(openid);
    if (sessionKey === undefined) throw new Error(`no session_key for ${openid}: issue a login code first`);
    const plain = {
      ...payload,
      watermark: { timestamp: Math.floor(this.options.now() / 1000), appid: overrides.appId ?? this.options.appId },
    };
    const iv = randomBytes(16);
    const cipher = createCipheriv('aes-128-cbc', Buffer.from(sessionKey, 'base64'), iv);
    const encrypted = Buffer.concat([cipher.update(JSON.stringify(plain), 'utf8'), cipher.final()]);
    return { encryptedData: encrypted.toString('base64'), iv: iv.toString('base64') };
  }

  /** The phone number payload of the legacy `getPhoneNumber` encryptedData. */
  encryptPhone(openid: string, phone: FakePhone = DEFAULT_PHONE, overrides: { appId?: string; sessionKey?: string } = {}) {
    return this.encrypt(
      openid,
      { phoneNumber: displayedPhoneNumber(phone), purePhoneNumber: phone.purePhoneNumber, countryCode: phone.countryCode },
      overrides,
    );
  }

  private remember(code: string, entry: PhoneCode): PhoneCode {
    this.prune(entry.issuedAt);
    this.phoneCodes.set(code, entry);
    return entry;
  }

  /** Entries are kept in issue order, so the expired ones are at the front. */
  private prune(now: number): void {
    for (const [code, entry] of this.phoneCodes) {
      if (now - entry.issuedAt <= PHONE_CODE_TTL_MS && this.phoneCodes.size < MAX_PHONE_CODES) break;
      this.phoneCodes.delete(code);
    }
  }
}

/** Sandbox: a stable, plausible mainland mobile number for a code nobody issued. */
function derivedPhone(code: string): FakePhone {
  const digits = BigInt(`0x${createHash('sha256').update(code).digest('hex').slice(0, 12)}`) % 100_000_000n;
  return { purePhoneNumber: `139${digits.toString().padStart(8, '0')}`, countryCode: '86' };
}
