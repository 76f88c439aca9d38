import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Interval } from '@nestjs/schedule';
import { Clock } from '../common/clock.js';
import type { AppConfig } from '../config/app-config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { KeyValueStore } from '../redis/key-value.store.js';
import { type HeldLock, StoreLock } from '../redis/store-lock.js';
import { AccessTokenStore, type StoredToken } from './access-token.store.js';
import { ForceRefreshBudget } from './force-refresh.budget.js';
import { WechatClient } from './wechat.client.js';
import { WechatApiError, WechatTransportError } from './wechat.errors.js';

export interface AccessTokenState {
  present: boolean;
  expiresInSeconds: number | null;
  lastRefreshAt: string | null;
  /** WeChat's errcode only: its errmsg (and transport error text) goes to the log, never to /health. */
  lastError: { errcode: number | null; at: string } | null;
}

/** A token with less than this left is not handed out: a send with it could race its expiry. */
const MIN_REMAINING_MS = 60_000;
/**
 * How long a process reuses the token it last read from the store without asking again (WeChat's
 * guidance allows caching it in memory for about a minute). A token replaced meanwhile by another
 * instance costs at most one 40001, which the send's one retry heals.
 */
const MEMO_MS = 10_000;

/**
 * WeChat's access_token lifecycle: kept in the shared store (AccessTokenStore) and fetched by one
 * caller at a time: one in-flight promise per process, a store lock across processes (StoreLock).
 * Readers only ever call WeChat when the stored token is missing, due, or just failed.
 */
@Injectable()
export class AccessTokenService {
  private readonly logger = new Logger(AccessTokenService.name);
  private readonly tokens: AccessTokenStore;
  private readonly lock: StoreLock;
  private readonly forceRefreshBudget: ForceRefreshBudget;
  private readonly marginMs: number;
  private readonly stable: boolean;
  private inFlight: Promise<string> | null = null;
  private memo: { stored: StoredToken; until: number } | null = null;
  private lastRefreshAt: number | null = null;
  private lastError: AccessTokenState['lastError'] = null;

  constructor(
    private readonly client: WechatClient,
    store: KeyValueStore,
    private readonly metrics: MetricsService,
    config: ConfigService<AppConfig, true>,
    private readonly clock: Clock,
  ) {
    const wechat = config.get('wechat', { infer: true });
    // The hash tag keeps the token and its lock in one Redis Cluster slot (setIfHolding touches both).
    const key = `wechat:access-token:{${client.appId}}`;
    this.tokens = new AccessTokenStore(store, clock, key);
    // Long enough for a fetch, a forced refresh and a retry of each; short enough that a crashed holder frees it soon.
    this.lock = new StoreLock(store, clock, `${key}:lock`, wechat.timeoutMs * 4 + 5_000);
    this.forceRefreshBudget = new ForceRefreshBudget(store, clock, key);
    this.stable = wechat.tokenMode === 'stable';
    // stable_token hands back the same token until its last 300 s (wechat-api.md §3): refreshing
    // earlier would only fetch the same token again every minute.
    this.marginMs = (this.stable ? Math.min(wechat.refreshMarginSeconds, 290) : wechat.refreshMarginSeconds) * 1000;
  }

  /** The current token, fetching one only when none usable is stored. */
  async get(): Promise<string> {
    if (this.memo && this.memo.until > this.clock.now() && this.usable(this.memo.stored)) return this.memo.stored.token;
    const stored = await this.tokens.read();
    if (stored && this.usable(stored)) {
      this.memo = { stored, until: this.clock.now() + MEMO_MS };
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
    await this.tokens.dropIfCurrent(failedToken);
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
      const stored = await this.tokens.read();
      if (stored && !this.due(stored)) return;
      await this.singleFlight(() => this.fetchUnderLock((t) => !this.due(t)));
    } catch (error) {
      this.logger.warn(`Scheduled access token refresh failed, keeping the current token: ${(error as Error).message}`);
    }
  }

  async state(): Promise<AccessTokenState> {
    const stored = await this.tokens.read();
    return {
      present: stored !== null,
      expiresInSeconds: stored ? Math.max(0, Math.round((stored.expiresAt - this.clock.now()) / 1000)) : null,
      lastRefreshAt: this.lastRefreshAt ? new Date(this.lastRefreshAt).toISOString() : null,
      lastError: this.lastError,
    };
  }

  private usable(token: StoredToken): boolean {
    return token.expiresAt - this.clock.now() > MIN_REMAINING_MS;
  }

  private due(token: StoredToken): boolean {
    return token.expiresAt - this.clock.now() <= this.marginMs;
  }

  private singleFlight(task: () => Promise<string>): Promise<string> {
    this.inFlight ??= task().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private fetchUnderLock(acceptable: (t: StoredToken) => boolean, failedToken?: string): Promise<string> {
    return this.lock.run({
      ready: async () => {
        const stored = await this.tokens.read();
        return stored && acceptable(stored) ? stored.token : null;
      },
      work: (lock) => this.fetchAndStore(lock, failedToken),
      timeout: () =>
        new WechatTransportError(
          this.stable ? 'stable_token' : 'token',
          'timeout',
          'waited too long for another instance to fetch the access token',
        ),
    });
  }

  private async fetchAndStore(lock: HeldLock, failedToken?: string): Promise<string> {
    try {
      let result = await this.client.fetchAccessToken();
      // stable_token hands back the current token; if that is the one WeChat just refused, force a new one.
      if (this.stable && failedToken && result.accessToken === failedToken && (await this.forceRefreshBudget.take())) {
        result = await this.client.fetchAccessToken({ forceRefresh: true });
      }
      // Only while this call still holds the lock: if it expired during the fetch, another holder
      // may already have stored a newer token, which this one must not overwrite.
      const stored = await this.tokens.writeWhileHolding(result, lock);
      if (!stored) {
        this.logger.warn('The access token lock expired during the fetch; keeping the token the next holder stored');
        const current = await this.tokens.read();
        return current && this.usable(current) ? current.token : result.accessToken;
      }
      this.memo = { stored, until: stored.fetchedAt + MEMO_MS };
      this.lastRefreshAt = stored.fetchedAt;
      this.lastError = null;
      this.metrics.countTokenRefresh('success');
      return result.accessToken;
    } catch (error) {
      this.metrics.countTokenRefresh('failure');
      this.lastError = { errcode: error instanceof WechatApiError ? error.errcode : null, at: new Date(this.clock.now()).toISOString() };
      this.logger.warn(`Access token fetch failed: ${(error as Error).message}`);
      throw error;
    }
  }
}
