/**
 * The cache's in-memory store on embedded defaults. Keyv only checks an entry's expiry when the
 * key is read again, and a login code never is: a plain Map would keep every one for good. This
 * one also forgets entries whose TTL (the third argument Keyv passes to set) has passed.
 */
export class ExpiringMap<V> extends Map<string, V> {
  private readonly expiries = new Map<string, number>();
  private readonly sweeper = setInterval(() => this.sweep(), 30_000).unref();

  override set(key: string, value: V, ttlMs?: number): this {
    super.set(key, value);
    // Map's constructor calls set before the fields exist.
    if (this.expiries) {
      if (ttlMs && ttlMs > 0) this.expiries.set(key, Date.now() + ttlMs);
      else this.expiries.delete(key);
    }
    return this;
  }

  override delete(key: string): boolean {
    this.expiries.delete(key);
    return super.delete(key);
  }

  override clear(): void {
    this.expiries.clear();
    super.clear();
  }

  sweep(now = Date.now()): void {
    for (const [key, expiresAt] of this.expiries) {
      if (expiresAt <= now) this.delete(key);
    }
  }

  close(): void {
    clearInterval(this.sweeper);
  }
}
