/**
 * `start()`'s outcome, or a rejection with `timedOut()` once `ms` have passed without one; every
 * failure (the timeout's included) goes through `mapError`. The late outcome of work that lost the
 * race settles nothing and is never unhandled.
 *
 * Callbacks on one promise rather than Promise.race over a deadline promise: every store command and
 * every statement passes here, and each extra promise costs (on Node 20, async_hooks run for every
 * one while a request context is active).
 */
export function withinDeadline<T>(
  start: () => Promise<T>,
  ms: number,
  timedOut: () => Error,
  mapError: (error: unknown) => Error = (error) => error as Error,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const fail = (error: unknown): void => {
      clearTimeout(timer);
      reject(mapError(error));
    };
    const timer = setTimeout(() => fail(timedOut()), ms);
    let running: Promise<T>;
    try {
      running = start();
    } catch (error) {
      fail(error);
      return;
    }
    running.then((value) => {
      clearTimeout(timer);
      resolve(value);
    }, fail);
  });
}
