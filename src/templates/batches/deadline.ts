import { StoreUnavailableError } from '../../redis/key-value.store.js';

/** Rejects with STORE_UNAVAILABLE (503) when `work` has not settled within `ms`. */
export async function withStoreDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new StoreUnavailableError(`${what} did not answer within ${ms} ms`)), ms);
      }),
    ]);
  } catch (error) {
    if (error instanceof StoreUnavailableError) throw error;
    throw new StoreUnavailableError(`${what} failed: ${(error as Error).message}`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
}
