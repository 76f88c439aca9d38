import { withinDeadline } from '../../common/deadline.js';
import { StoreUnavailableError } from '../../redis/key-value.store.js';

/** Rejects with STORE_UNAVAILABLE (503) when `work` has not settled within `ms`. */
export function withStoreDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  return withinDeadline(
    () => work,
    ms,
    () => new StoreUnavailableError(`${what} did not answer within ${ms} ms`),
    (error) =>
      error instanceof StoreUnavailableError
        ? error
        : new StoreUnavailableError(`${what} failed: ${(error as Error).message}`, { cause: error }),
  );
}
