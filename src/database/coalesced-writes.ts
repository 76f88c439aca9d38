interface Waiting<T> {
  item: T;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for one kind of write: the items added during one turn of the event loop are written
 * by one call of `write` (one statement, one round trip) when the turn ends (setImmediate), and each
 * adder's promise settles with that write's outcome. Under load, the sends that finish together share
 * a round trip; a lone send waits for nothing but the end of its turn.
 *
 * When a write of several items fails for a reason other than `sharedFailure` (the database being
 * unreachable or stuck, which would fail each of them alike), each item is written again on its own,
 * so one bad item cannot fail the others.
 */
export class CoalescedWrites<T> {
  private waiting: Array<Waiting<T>> = [];
  private flushScheduled = false;

  constructor(
    private readonly write: (items: T[]) => Promise<void>,
    private readonly sharedFailure: (error: unknown) => boolean,
    private readonly maxItems = 100,
  ) {}

  add(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (this.waiting.length >= this.maxItems) {
        this.flush();
      } else if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => {
          this.flushScheduled = false;
          this.flush();
        });
      }
    });
  }

  private flush(): void {
    const batch = this.waiting;
    if (batch.length === 0) return;
    this.waiting = [];
    void this.settle(batch);
  }

  private async settle(batch: Array<Waiting<T>>): Promise<void> {
    try {
      await this.write(batch.map((waiting) => waiting.item));
    } catch (error) {
      if (batch.length === 1 || this.sharedFailure(error)) {
        for (const waiting of batch) waiting.reject(error);
        return;
      }
      await Promise.all(batch.map((waiting) => this.write([waiting.item]).then(waiting.resolve, waiting.reject)));
      return;
    }
    for (const waiting of batch) waiting.resolve();
  }
}
