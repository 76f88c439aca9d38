import { type Clock, SystemClock } from '../common/clock.js';
import { KeyValueStore, type LocalScriptContext, type ScriptReply, type StoreScript } from './key-value.store.js';

interface Entry {
  /** A string, or a sorted set (member → score). */
  value: string | Map<string, number>;
  expiresAt: number;
}

/** Single-process stand-in for Redis on embedded defaults. */
export class MemoryKeyValueStore extends KeyValueStore {
  readonly kind = 'memory' as const;
  private readonly entries = new Map<string, Entry>();
  private readonly lists = new Map<string, string[]>();
  private readonly sweeper = setInterval(() => this.sweep(), 60_000).unref();
  private readonly local: LocalScriptContext;

  constructor(private readonly clock: Pick<Clock, 'now'> = new SystemClock()) {
    super();
    this.local = this.localContext();
  }

  async get(key: string): Promise<string | null> {
    return this.string(key);
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.entries.set(key, { value, expiresAt: this.clock.now() + ttlMs });
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    if (this.live(key)) return false;
    this.entries.set(key, { value, expiresAt: this.clock.now() + ttlMs });
    return true;
  }

  async deleteIfEquals(key: string, expected: string): Promise<boolean> {
    if (this.string(key) !== expected) return false;
    this.entries.delete(key);
    return true;
  }

  async setIfHolding(guardKey: string, expected: string, key: string, value: string, ttlMs: number): Promise<boolean> {
    if (this.live(guardKey)?.value !== expected) return false;
    this.entries.set(key, { value, expiresAt: this.clock.now() + ttlMs });
    return true;
  }

  async increment(key: string, ttlMs: number): Promise<{ count: number; ttlMs: number }> {
    const entry = this.live(key) ?? { value: '0', expiresAt: this.clock.now() + ttlMs };
    entry.value = String(Number(entry.value) + 1);
    this.entries.set(key, entry);
    return { count: Number(entry.value), ttlMs: entry.expiresAt - this.clock.now() };
  }

  async listPush(key: string, value: string): Promise<void> {
    const list = this.lists.get(key) ?? [];
    list.push(value);
    this.lists.set(key, list);
  }

  async listHead(key: string, count: number): Promise<string[]> {
    return (this.lists.get(key) ?? []).slice(0, count);
  }

  async listRemove(key: string, value: string): Promise<void> {
    const list = this.lists.get(key);
    const index = list?.indexOf(value) ?? -1;
    if (!list || index < 0) return;
    list.splice(index, 1);
    if (list.length === 0) this.lists.delete(key);
  }

  async ping(): Promise<void> {}

  // --- Scripts and multi-key reads (sessions) -------------------------------------------------
  async getMany(keys: readonly string[]): Promise<Array<string | null>> {
    return keys.map((key) => this.string(key));
  }

  async runScript(script: StoreScript, keys: readonly string[], args: readonly string[]): Promise<ScriptReply> {
    return script.local(this.local, keys, args);
  }

  private localContext(): LocalScriptContext {
    const zset = (key: string, create: boolean): Map<string, number> | null => {
      const entry = this.live(key);
      if (entry && typeof entry.value !== 'string') return entry.value;
      if (entry) throw new Error(`WRONGTYPE ${key} is not a sorted set`);
      if (!create) return null;
      const value = new Map<string, number>();
      this.entries.set(key, { value, expiresAt: Infinity });
      return value;
    };
    return {
      now: () => this.clock.now(),
      get: (key) => this.string(key),
      set: (key, value, ttlMs) => {
        const expiresAt =
          ttlMs === 'keep' ? (this.live(key)?.expiresAt ?? Infinity) : ttlMs === 'none' ? Infinity : this.clock.now() + ttlMs;
        this.entries.set(key, { value, expiresAt });
      },
      del: (key) => this.live(key) !== undefined && this.entries.delete(key),
      pexpire: (key, ttlMs) => {
        const entry = this.live(key);
        if (entry) entry.expiresAt = this.clock.now() + ttlMs;
      },
      zadd: (key, score, member) => void zset(key, true)!.set(member, score),
      zrem: (key, member) => {
        const set = zset(key, false);
        if (set?.delete(member) && set.size === 0) this.entries.delete(key);
      },
      zrangeWithScores: (key) => [...(zset(key, false) ?? [])].sort(([m1, s1], [m2, s2]) => s1 - s2 || (m1 < m2 ? -1 : m1 > m2 ? 1 : 0)),
      zremRangeByScore: (key, maxScore) => {
        const set = zset(key, false);
        if (!set) return;
        for (const [member, score] of set) if (score <= maxScore) set.delete(member);
        if (set.size === 0) this.entries.delete(key);
      },
    };
  }

  close(): void {
    clearInterval(this.sweeper);
    this.entries.clear();
    this.lists.clear();
  }

  private string(key: string): string | null {
    const value = this.live(key)?.value;
    return typeof value === 'string' ? value : null;
  }

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= this.clock.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private sweep(): void {
    const now = this.clock.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }
}
