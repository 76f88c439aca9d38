import type { Clock } from '../common/clock.js';
import type { KeyValueStore } from '../redis/key-value.store.js';
import type { HeldLock } from '../redis/store-lock.js';
import type { AccessTokenResult } from './wechat.client.js';

export interface StoredToken {
  token: string;
  expiresAt: number;
  fetchedAt: number;
}

/** The app's access token in the shared store, one record per app id, kept as long as WeChat said it lives. */
export class AccessTokenStore {
  constructor(
    private readonly store: KeyValueStore,
    private readonly clock: Clock,
    readonly key: string,
  ) {}

  async read(): Promise<StoredToken | null> {
    const raw = await this.store.get(this.key);
    return raw ? (JSON.parse(raw) as StoredToken) : null;
  }

  async write(result: AccessTokenResult): Promise<StoredToken> {
    const now = this.clock.now();
    const stored: StoredToken = { token: result.accessToken, expiresAt: now + result.expiresIn * 1000, fetchedAt: now };
    await this.store.set(this.key, JSON.stringify(stored), result.expiresIn * 1000);
    return stored;
  }

  /**
   * Writes the token only while `lock` is still held: a holder whose lock expired during the fetch
   * must not overwrite the token the next holder stored. Null when the lock was lost.
   */
  async writeWhileHolding(result: AccessTokenResult, lock: HeldLock): Promise<StoredToken | null> {
    const now = this.clock.now();
    const stored: StoredToken = { token: result.accessToken, expiresAt: now + result.expiresIn * 1000, fetchedAt: now };
    const written = await this.store.setIfHolding(lock.key, lock.owner, this.key, JSON.stringify(stored), result.expiresIn * 1000);
    return written ? stored : null;
  }

  /** Drops the record if it still holds `token` (another instance may have replaced it already). */
  async dropIfCurrent(token: string): Promise<void> {
    const raw = await this.store.get(this.key);
    if (raw && (JSON.parse(raw) as StoredToken).token === token) {
      await this.store.deleteIfEquals(this.key, raw);
    }
  }
}
