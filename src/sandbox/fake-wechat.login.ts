import { createHash, randomBytes } from 'node:crypto';
import { type FakeLimits, setBounded } from './fake-wechat.bounds.js';
import { Rejection } from './fake-wechat.errors.js';

const LOGIN_CODE_TTL_MS = 300_000;
/** Codes with these prefixes fail whether issued or not, so tests can provoke each code2Session error. */
const FAULT_PREFIXES: ReadonlyArray<readonly [string, number]> = [
  ['invalid-', 40029],
  ['ratelimit-', 45011],
  ['busy-', -1],
  ['blocked-', 40226],
];

interface LoginCode {
  openid: string;
  unionid?: string;
  issuedAt: number;
  used: boolean;
}

export interface LoginCodesOptions {
  now: () => number;
  /** Sandbox mode: a code never issued is accepted once, for the openid derived from it. */
  acceptAnyCode: boolean;
  limits: FakeLimits;
  /** Called for every openid that logs in or gets a code. */
  onUser: (openid: string) => void;
}

/** WeChat openids are 28 url-safe chars starting with 'o'. */
export function openidForCode(code: string): string {
  return `o${createHash('sha256').update(code).digest('base64url').slice(0, 27)}`;
}

// Sandbox codes `user:<name>:<anything>` belong to one user per name, as the codes of one phone's
// wx.login() calls do at WeChat: a returning user, by curl or by `npm run bench`.
const RETURNING_USER_CODE = /^user:([^:]{1,64}):./;

/** The openid a code never issued logs in as (acceptAnyCode): one per `user:<name>:` name, else a new one per code. */
export function sandboxOpenidForCode(code: string): string {
  const returning = RETURNING_USER_CODE.exec(code);
  return openidForCode(returning ? `user:${returning[1]}` : code);
}

/** `wx.login()` codes and session keys behind `/sns/jscode2session` (wechat-api.md §1). */
export class FakeLoginCodes {
  private readonly codes = new Map<string, LoginCode>();
  private readonly sessionKeys = new Map<string, string>();
  private successes = 0;

  constructor(private readonly options: LoginCodesOptions) {}

  /** A fresh code for `openid`; only one session_key per user is valid, so this rotates it. */
  issue(openid: string, unionid?: string): string {
    const code = randomBytes(24).toString('base64url');
    this.register(code, { openid, unionid, issuedAt: this.options.now(), used: false });
    return code;
  }

  sessionKey(openid: string): string | undefined {
    return this.sessionKeys.get(openid);
  }

  /** The JSON success body for `code`, else throws the Rejection WeChat would answer. */
  exchange(code: string): string {
    for (const [prefix, errcode] of FAULT_PREFIXES) {
      if (code.startsWith(prefix)) throw new Rejection(errcode);
    }
    const now = this.options.now();
    let entry = this.codes.get(code);
    if (entry === undefined) {
      if (!this.options.acceptAnyCode) throw new Rejection(40029);
      entry = this.register(code, { openid: sandboxOpenidForCode(code), issuedAt: now, used: false });
    }
    if (entry.used) throw new Rejection(40163);
    if (now - entry.issuedAt > LOGIN_CODE_TTL_MS) throw new Rejection(40029);
    entry.used = true;

    const payload: Record<string, unknown> = { session_key: this.sessionKeys.get(entry.openid), openid: entry.openid };
    if (entry.unionid !== undefined) payload['unionid'] = entry.unionid;
    // WeChat has been seen both with and without `errcode: 0` on success; alternate so clients handle both.
    if (this.successes++ % 2 === 0) Object.assign(payload, { errcode: 0, errmsg: 'ok' });
    return JSON.stringify(payload);
  }

  private register(code: string, entry: LoginCode): LoginCode {
    this.options.onUser(entry.openid);
    setBounded(this.sessionKeys, entry.openid, randomBytes(16).toString('base64'), this.options.limits.records);
    setBounded(this.codes, code, entry, this.options.limits.loginCodes);
    return entry;
  }
}
