import { randomUUID } from 'node:crypto';
import type { Clock } from '../common/clock.js';
import type { KeyValueStore } from './key-value.store.js';

/** The lock as its holder holds it: a write can be made conditional on still holding it (KeyValueStore.setIfHolding). */
export interface HeldLock {
  key: string;
  owner: string;
}

export interface LockedTask<T> {
  /** What is already there, if anything: checked before taking the lock, again once it is held, and at each poll. */
  ready: () => Promise<T | null>;
  /**
   * Runs only while holding the lock, and only when `ready` found nothing. The lock can expire while
   * it runs (a stalled store, a long pause): a write that must not overwrite the next holder's goes
   * through setIfHolding with `lock`.
   */
  work: (lock: HeldLock) => Promise<T>;
  /** The error when another holder kept the lock past its TTL without `ready` finding anything. */
  timeout: () => Error;
}

/**
 * A lock in the shared store, across processes: SET NX PX takes it, compare-and-delete gives it back
 * (so a holder whose TTL ran out never frees a lock someone else took since). The TTL frees the lock
 * of a crashed holder.
 */
export class StoreLock {
  constructor(
    private readonly store: KeyValueStore,
    private readonly clock: Clock,
    private readonly key: string,
    private readonly ttlMs: number,
    private readonly pollMs = 50,
  ) {}

  async run<T>(task: LockedTask<T>): Promise<T> {
    const deadline = this.clock.now() + this.ttlMs;
    for (;;) {
      const found = await task.ready();
      if (found !== null) return found;
      const owner = randomUUID();
      if (await this.store.setIfAbsent(this.key, owner, this.ttlMs)) {
        try {
          return (await task.ready()) ?? (await task.work({ key: this.key, owner }));
        } finally {
          await this.store.deleteIfEquals(this.key, owner).catch(() => undefined);
        }
      }
      if (this.clock.now() > deadline) throw task.timeout();
      await this.clock.sleep(this.pollMs);
    }
  }
}
