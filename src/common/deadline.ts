import { performance } from 'node:perf_hooks';

interface Pending {
  readonly expiresAt: number;
  /** null once done: a finished deadline waiting behind an older one holds nothing of its request. */
  onExpiry: (() => void) | null;
  next: Pending | null;
}

/**
 * The pending deadlines of one length, oldest first (so also in order of expiry), behind one timer
 * armed for the oldest. A Node timer per store command or statement costs more than the command's
 * own JavaScript (each Timeout also runs the async hooks of the request context on Node 20); here a
 * deadline is one small object, dropped from the front as soon as it and those before it are done.
 */
class DeadlineQueue {
  private head: Pending | null = null;
  private tail: Pending | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly ms: number) {}

  add(onExpiry: () => void): Pending {
    const pending: Pending = { expiresAt: performance.now() + this.ms, onExpiry, next: null };
    if (this.tail) this.tail.next = pending;
    else this.head = pending;
    this.tail = pending;
    if (!this.timer) this.arm();
    return pending;
  }

  /** Marks `pending` done; false when it had already expired. */
  finish(pending: Pending): boolean {
    if (!pending.onExpiry) return false;
    pending.onExpiry = null;
    this.dropDoneFront();
    return true;
  }

  private dropDoneFront(): void {
    while (this.head && !this.head.onExpiry) this.head = unlink(this.head);
    if (this.head) return;
    this.tail = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private arm(): void {
    const delay = Math.max(1, Math.ceil(this.head!.expiresAt - performance.now()));
    this.timer = setTimeout(() => this.expire(), delay);
  }

  private expire(): void {
    this.timer = null;
    const now = performance.now();
    while (this.head && (!this.head.onExpiry || this.head.expiresAt <= now)) {
      const pending = this.head;
      this.head = unlink(pending);
      if (!this.head) this.tail = null;
      const onExpiry = pending.onExpiry;
      pending.onExpiry = null;
      // May add a deadline to this queue (a stalled Redis connection starts its probe): the queue is
      // consistent by now, and add() arms the timer when it finds none.
      onExpiry?.();
    }
    if (this.head && !this.timer) this.arm();
  }
}

/**
 * The node after `pending`, with `pending` no longer pointing at it: a dropped node that had been
 * promoted to the old generation would otherwise keep every later node (and the request its
 * callback closes over) alive through young-generation collections until the next full GC.
 */
function unlink(pending: Pending): Pending | null {
  const next = pending.next;
  pending.next = null;
  return next;
}

const queues = new Map<number, DeadlineQueue>();

function queueFor(ms: number): DeadlineQueue {
  let queue = queues.get(ms);
  if (!queue) {
    queue = new DeadlineQueue(ms);
    queues.set(ms, queue);
  }
  return queue;
}

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
    let running: Promise<T>;
    try {
      running = start();
    } catch (error) {
      reject(mapError(error));
      return;
    }
    const queue = queueFor(ms);
    const pending = queue.add(() => reject(mapError(timedOut())));
    running.then(
      (value) => {
        if (queue.finish(pending)) resolve(value);
      },
      (error: unknown) => {
        if (queue.finish(pending)) reject(mapError(error));
      },
    );
  });
}
