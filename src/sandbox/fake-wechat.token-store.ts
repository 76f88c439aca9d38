import { randomBytes } from 'node:crypto';
import { setBounded } from './fake-wechat.bounds.js';

export interface TokenStoreOptions {
  ttlMs: number;
  overlapMs: number;
  classicDailyQuota: number;
  /** Tokens remembered (oldest forgotten first). */
  maxTokens: number;
  now: () => number;
}

export interface IssuedToken {
  accessToken: string;
  expiresIn: number;
}

/** 0 when the token may be used, else the errcode WeChat answers. */
export type TokenVerdict = 0 | 40001 | 40014 | 41001 | 42001;

interface TokenRecord {
  value: string;
  /** From this instant on the token answers 40001 (replaced, or invalidated by the test). */
  invalidAt: number;
  /** From this instant on the token answers 42001. */
  expiresAt: number;
}

const DAY_MS = 86_400_000;
const BEIJING_OFFSET_MS = 8 * 3_600_000;
// getStableAccessToken: force_refresh is limited to 20 calls a day, at least 30 s apart (wechat-api.md §3).
const FORCE_REFRESH_DAILY_LIMIT = 20;
const FORCE_REFRESH_SPACING_MS = 30_000;

/** WeChat's daily quotas reset at midnight China time. */
class DailyCounter {
  private day = -1;
  private count = 0;

  constructor(private readonly now: () => number) {}

  get value(): number {
    return this.today() === this.day ? this.count : 0;
  }

  increment(): void {
    const today = this.today();
    this.count = today === this.day ? this.count + 1 : 1;
    this.day = today;
  }

  private today(): number {
    return Math.floor((this.now() + BEIJING_OFFSET_MS) / DAY_MS);
  }
}

/**
 * The two token spaces of WeChat: `/cgi-bin/token` (every call rotates, the previous token lives on for the
 * overlap) and `/cgi-bin/stable_token` (same token until its last overlap window; force_refresh rotates at once).
 * They never invalidate each other.
 */
export class FakeTokenStore {
  private readonly tokens = new Map<string, TokenRecord>();
  private classic: TokenRecord | undefined;
  private stable: TokenRecord | undefined;
  private readonly classicCalls: DailyCounter;
  private readonly forcedRefreshes: DailyCounter;
  private lastForcedAt = Number.NEGATIVE_INFINITY;
  private serial = 80;

  constructor(private readonly options: TokenStoreOptions) {
    this.classicCalls = new DailyCounter(options.now);
    this.forcedRefreshes = new DailyCounter(options.now);
  }

  /** A new classic token, or 45009 once the daily quota is spent. */
  issueClassic(): IssuedToken | 45009 {
    if (this.classicCalls.value >= this.options.classicDailyQuota) return 45009;
    this.classicCalls.increment();
    const now = this.options.now();
    if (this.classic !== undefined) {
      this.classic.invalidAt = Math.min(this.classic.invalidAt, now + this.options.overlapMs);
    }
    this.classic = this.mint(now);
    return this.describe(this.classic, now);
  }

  issueStable(forceRefresh: boolean): IssuedToken {
    const now = this.options.now();
    let current = this.stable;
    // A forced refresh over the limit is not an error: WeChat just answers as in normal mode.
    if (forceRefresh && this.mayForceRefresh(now)) {
      this.forcedRefreshes.increment();
      this.lastForcedAt = now;
      if (current !== undefined) current.invalidAt = Math.min(current.invalidAt, now);
      current = this.mint(now);
    } else if (current === undefined || this.verdict(current, now) !== 0 || now >= current.expiresAt - this.options.overlapMs) {
      // Near its end WeChat hands out the next token early; the old one keeps working until its own expiry.
      current = this.mint(now);
    }
    this.stable = current;
    return this.describe(current, now);
  }

  check(value: string | null): TokenVerdict {
    if (value === null) return 41001;
    if (!/^[\x21-\x7e]+$/.test(value)) return 40014;
    const record = this.tokens.get(value);
    return record === undefined ? 40001 : this.verdict(record, this.options.now());
  }

  /** Tokens that would be accepted right now, classic and stable. */
  valid(): string[] {
    const now = this.options.now();
    return [...this.tokens.values()].filter((record) => this.verdict(record, now) === 0).map((record) => record.value);
  }

  invalidateAll(): void {
    const now = this.options.now();
    for (const record of this.tokens.values()) record.invalidAt = Math.min(record.invalidAt, now);
  }

  expireAll(): void {
    const now = this.options.now();
    for (const record of this.tokens.values()) record.expiresAt = Math.min(record.expiresAt, now);
  }

  private mayForceRefresh(now: number): boolean {
    return this.forcedRefreshes.value < FORCE_REFRESH_DAILY_LIMIT && now - this.lastForcedAt >= FORCE_REFRESH_SPACING_MS;
  }

  /** Whichever happened first decides the error: being replaced (40001) or running out (42001). */
  private verdict(record: TokenRecord, now: number): TokenVerdict {
    if (now < record.invalidAt && now < record.expiresAt) return 0;
    return record.invalidAt < record.expiresAt ? 40001 : 42001;
  }

  // One clock reading per call: a second reading a millisecond later would answer 7199 for a fresh token.
  private mint(now: number): TokenRecord {
    // Real tokens look like `80_<~140 url-safe chars>`; WeChat tells clients to reserve 512 chars.
    const value = `${this.serial++}_${randomBytes(105).toString('base64url')}`;
    const record = { value, invalidAt: Number.POSITIVE_INFINITY, expiresAt: now + this.options.ttlMs };
    setBounded(this.tokens, value, record, this.options.maxTokens);
    return record;
  }

  private describe(record: TokenRecord, now: number): IssuedToken {
    const remaining = Math.min(record.expiresAt, record.invalidAt) - now;
    return { accessToken: record.value, expiresIn: Math.max(0, Math.floor(remaining / 1000)) };
  }
}
