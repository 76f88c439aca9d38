import { DomainError } from '../common/errors/domain.error.js';
import { StoreErrors } from './store.errors.js';

/**
 * The shared store (Redis, or process memory on embedded defaults) for what needs atomicity or
 * must surface outages: sessions, locks, idempotency records, the access token, throttling.
 * Every method rejects with StoreUnavailableError when the backend cannot answer, never hangs.
 */
export abstract class KeyValueStore {
  abstract readonly kind: 'redis' | 'memory';
  abstract get(key: string): Promise<string | null>;
  abstract set(key: string, value: string, ttlMs: number): Promise<void>;
  abstract delete(key: string): Promise<void>;
  /** SET NX PX: true when this call created the key. */
  abstract setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Deletes the key only while it still holds `expected` (lock release, compare-and-delete). */
  abstract deleteIfEquals(key: string, expected: string): Promise<boolean>;
  /**
   * Sets `key` only while `guardKey` still holds `expected` (a lock's owner), atomically: a holder
   * whose lock expired cannot overwrite what the next holder wrote. On Redis Cluster both keys
   * must share a hash tag.
   */
  abstract setIfHolding(guardKey: string, expected: string, key: string, value: string, ttlMs: number): Promise<boolean>;
  /** INCR with the expiry set on creation; returns the new count and the remaining TTL. */
  abstract increment(key: string, ttlMs: number): Promise<{ count: number; ttlMs: number }>;
  /** RPUSH: appends to a list that never expires (a durable queue). */
  abstract listPush(key: string, value: string): Promise<void>;
  /** LRANGE 0 count-1: the oldest `count` items, left in place. */
  abstract listHead(key: string, count: number): Promise<string[]>;
  /** LREM 1: removes one occurrence of `value`. */
  abstract listRemove(key: string, value: string): Promise<void>;
  abstract ping(): Promise<void>;

  // --- Scripts and multi-key reads (sessions) -------------------------------------------------
  /** MGET: one value (or null) per key, in order. */
  abstract getMany(keys: readonly string[]): Promise<Array<string | null>>;
  /**
   * Runs an atomic script: its Lua on Redis (EVALSHA, loaded on first use), its `local` twin on the
   * in-process store, where running synchronously makes it just as atomic. On a Redis Cluster every
   * key a script touches (KEYS and any it builds) must share one hash tag.
   */
  abstract runScript(script: StoreScript, keys: readonly string[], args: readonly string[]): Promise<ScriptReply>;
}

/** What a script returns: Redis's reply types as node-redis gives them (Lua false/nil → null). */
export type ScriptReply = string | number | null | ScriptReply[];

/** The synchronous operations a script's in-process twin may use (same semantics as the Redis commands). */
export interface LocalScriptContext {
  now(): number;
  get(key: string): string | null;
  /** ttlMs 'keep' = SET … KEEPTTL; 'none' = no expiry. */
  set(key: string, value: string, ttlMs: number | 'keep' | 'none'): void;
  del(key: string): boolean;
  pexpire(key: string, ttlMs: number): void;
  zadd(key: string, score: number, member: string): void;
  zrem(key: string, member: string): void;
  /** Members ordered by score (ties by member), as ZRANGE key 0 -1 WITHSCORES. */
  zrangeWithScores(key: string): Array<[member: string, score: number]>;
  zremRangeByScore(key: string, maxScore: number): void;
}

export interface StoreScript {
  readonly name: string;
  readonly lua: string;
  readonly local: (store: LocalScriptContext, keys: readonly string[], args: readonly string[]) => ScriptReply;
}

/** The client sees the catalogue's message; what went wrong (driver text included) stays in the cause, for the log. */
export class StoreUnavailableError extends DomainError {
  constructor(detail: string, options?: { cause?: unknown }) {
    const { code, message, status } = StoreErrors.STORE_UNAVAILABLE;
    super(code, message, status, {}, { cause: new Error(detail, { cause: options?.cause }) });
  }
}
