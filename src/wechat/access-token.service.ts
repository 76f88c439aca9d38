import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Interval } from '@nestjs/schedule';
import type { AppConfig } from '../config/app-config.js';
import { KeyValueStore } from '../redis/key-value.store.js';
import { WechatClient } from './wechat.client.js';
import { WechatApiError, WechatTransportError } from './wechat.errors.js';

interface StoredToken {
  token: string;
  expiresAt: number;
  fetchedAt: number;
}

export interface AccessTokenState {
  present: boolean;
  expiresInSeconds: number | null;
  lastRefreshAt: string | null;
  lastError: { errcode: number | null; message: string; at: string } | null;
}

/** A token with less than this left is not handed out: a send with it could race its expiry. */
const MIN_REMAINING_MS = 60_000;
const LOCK_POLL_MS = 50;
/**
 * How long a process reuses the token it last read from the store without asking again (WeChat's
 * guidance allows caching it in memory for about a minute). A token replaced meanwhile by another
 * instance costs at most one 40001, which the send's one retry heals.
 */
const MEMO_MS = 10_000;
// getStableAccessToken's force_refresh budget (wechat-api.md §3): 20 a day, at least 30 s apart.
const FORCE_REFRESH_PER_DAY = 20;
const FORCE_REFRESH_SPACING_MS = 30_000;

/**
 * WeChat's access_token, kept in the shared store and fetched by one caller at a time: one
 * in-flight promise per process, a store lock (SET NX PX + compare-and-delete) across processes.
 * Readers only ever call WeChat when the stored token is missing, due, or just failed.
 */
@Injectable()
export class AccessTokenService {
  private readonly logger = new Logger(AccessTokenService.name);
  private readonly key: string;
  private readonly lockKey: string;
  private readonly lockTtlMs: number;
  private readonly marginMs: number;
  private readonly stable: boolean;
  private inFlight: Promise<string> | null = null;
  private memo: { stored: StoredToken; until: number } | null = null;
  private lastRefreshAt: number | null = null;
  private lastError: AccessTokenState['lastError'] = null;

  constructor(
    private readonly client: WechatClient,
    private readonly store: KeyValueStore,
    config: ConfigService<AppConfig, true>,
  ) {
    const wechat = config.get('wechat', { infer: true });
    this.key = `wechat:access-token:${client.appId}`;
    this.lockKey = `${this.key}:lock`;
    // Long enough for a fetch, a forced refresh and a retry of each; short enough that a crashed holder frees it soon.
    this.lockTtlMs = wechat.timeoutMs * 4 + 5_000;
    this.stable = wechat.tokenMode === 'stable';
    // stable_token hands back the same token until its last 300 s (wechat-api.md §3): refreshing
    // earlier would only fetch the same token again every minute.
    this.marginMs = (this.stable ? Math.min(wechat.refreshMarginSeconds, 290) : wechat.refreshMarginSeconds) * 1000;
  }

  /** The current token, fetching one only when none usable is stored. */
  async get(): Promise<string> {
    if (this.memo && this.memo.until > Date.now() && this.usable(this.memo.stored)) return this.memo.stored.token;
    const stored = await this.read();
    if (stored && this.usable(stored)) {
      this.memo = { stored, until: Date.now() + MEMO_MS };
      return stored.token;
    }
    return this.singleFlight(() => this.fetchUnderLock((t) => this.usable(t)));
  }

  /**
   * Called after WeChat rejected `failedToken` (40001/42001): drops it from the store if it is
   * still the stored one and returns a different token, fetched once for everyone.
   */
  async replace(failedToken: string): Promise<string> {
    this.memo = null;
    const raw = await this.store.get(this.key);
    if (raw && (JSON.parse(raw) as StoredToken).token === failedToken) {
      await this.store.deleteIfEquals(this.key, raw);
    }
    const acceptable = (t: StoredToken) => t.token !== failedToken && this.usable(t);
    const token = await this.singleFlight(() => this.fetchUnderLock(acceptable, failedToken));
    return token === failedToken ? this.singleFlight(() => this.fetchUnderLock(acceptable, failedToken)) : token;
  }

  /**
   * Runs `send` with the current token; when WeChat says the token is invalid or expired
   * (40001/42001), replaces it and runs `send` once more, transparently to the caller.
   */
  async withToken<T>(send: (token: string) => Promise<T>): Promise<T> {
    const token = await this.get();
    try {
      return await send(token);
    } catch (error) {
      if (!(error instanceof WechatApiError) || (error.kind !== 'token_invalid' && error.kind !== 'token_expired')) throw error;
      this.logger.warn(`WeChat refused the access token (errcode ${error.errcode}); replacing it and retrying once`);
      return send(await this.replace(token));
    }
  }

  /** Scheduled: refresh when the stored token expires within the margin. A failure keeps the current token. */
  @Interval('wechat-access-token-refresh', 60_000)
  async refreshIfDue(): Promise<void> {
    try {
      const stored = await this.read();
      if (stored && stored.expiresAt - Date.now() > this.marginMs) return;
      await this.singleFlight(() => this.fetchUnderLock((t) => t.expiresAt - Date.now() > this.marginMs));
    } catch (error) {
      this.logger.warn(`Scheduled access token refresh failed, keeping the current token: ${(error as Error).message}`);
    }
  }

  async state(): Promise<AccessTokenState> {
    const stored = await this.read();
    return {
      present: stored !== null,
      expiresInSeconds: stored ? Math.max(0, Math.round((stored.expiresAt - Date.now()) / 1000)) : null,
      lastRefreshAt: this.lastRefreshAt ? new Date(this.lastRefreshAt).toISOString() : null,
      lastError: this.lastError,
    };
  }

  private usable(token: StoredToken): boolean {
    return token.expiresAt - Date.now() > MIN_REMAINING_MS;
  }

  private async read(): Promise<StoredToken | null> {
    const raw = await this.store.get(this.key);
    return raw ? (JSON.parse(raw) as StoredToken) : null;
  }

  private singleFlight(task: () => Promise<string>): Promise<string> {
    this.inFlight ??= task().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async fetchUnderLock(acceptable: (t: StoredToken) => boolean, failedToken?: string): Promise<string> {
    const deadline = Date.now() + this.lockTtlMs;
    for (;;) {
      const stored = await this.read();
      if (stored && acceptable(stored)) return stored.token;
      const owner = randomUUID();
      if (await this.store.setIfAbsent(this.lockKey, owner, this.lockTtlMs)) {
        try {
          const again = await this.read();
          if (again && acceptable(again)) return again.token;
          return await this.fetchAndStore(failedToken);
        } finally {
          await this.store.deleteIfEquals(this.lockKey, owner).catch(() => undefined);
        }
      }
      if (Date.now() > deadline) {
        throw new WechatTransportError(this.stable ? 'stable_token' : 'token', 'timeout', 'waited too long for another instance to fetch the access token');
      }
      await sleep(LOCK_POLL_MS);
    }
  }

  private async fetchAndStore(failedToken?: string): Promise<string> {
    try {
      let result = await this.client.fetchAccessToken();
      // stable_token hands back the current token; if that is the one WeChat just refused, force a new one.
      if (this.stable && failedToken && result.accessToken === failedToken && (await this.takeForceRefreshBudget())) {
        result = await this.client.fetchAccessToken({ forceRefresh: true });
      }
      const now = Date.now();
      const stored: StoredToken = { token: result.accessToken, expiresAt: now + result.expiresIn * 1000, fetchedAt: now };
      await this.store.set(this.key, JSON.stringify(stored), result.expiresIn * 1000);
      this.memo = { stored, until: now + MEMO_MS };
      this.lastRefreshAt = now;
      this.lastError = null;
      return result.accessToken;
    } catch (error) {
      this.lastError = {
        errcode: error instanceof WechatApiError ? error.errcode : null,
        message: (error as Error).message,
        at: new Date().toISOString(),
      };
      throw error;
    }
  }

  private async takeForceRefreshBudget(): Promise<boolean> {
    const day = new Date().toISOString().slice(0, 10);
    if (!(await this.store.setIfAbsent(`${this.key}:force:spacing`, '1', FORCE_REFRESH_SPACING_MS))) return false;
    const { count } = await this.store.increment(`${this.key}:force:${day}`, 24 * 3600_000);
    if (count > FORCE_REFRESH_PER_DAY) {
      this.logger.warn('force_refresh budget for today is spent; not forcing a new access token');
      return false;
    }
    return true;
  }
}
