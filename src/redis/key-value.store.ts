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
  /** INCR with the expiry set on creation; returns the new count and the remaining TTL. */
  abstract increment(key: string, ttlMs: number): Promise<{ count: number; ttlMs: number }>;
  abstract ping(): Promise<void>;
}

export class StoreUnavailableError extends DomainError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(StoreErrors.STORE_UNAVAILABLE.code, message, StoreErrors.STORE_UNAVAILABLE.status, {}, options);
  }
}
