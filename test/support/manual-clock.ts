import { Clock } from '../../src/common/clock.js';

/** A clock a unit test moves by hand; `sleep` resolves when the test moves time past its end. */
export class ManualClock extends Clock {
  private time: number;
  private sleepers: Array<{ until: number; wake: () => void }> = [];

  // Noon in Beijing: far from WeChat's daily quota reset and from the UTC day boundary.
  constructor(start = Date.UTC(2024, 0, 1, 4)) {
    super();
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((wake) => this.sleepers.push({ until: this.time + ms, wake }));
  }

  /** Moves time by `ms`, waking each sleeper at its own instant and letting it run before moving on. */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    for (;;) {
      await settle();
      const next = this.sleepers.filter((s) => s.until <= target).sort((a, b) => a.until - b.until)[0];
      if (next === undefined) break;
      this.sleepers = this.sleepers.filter((s) => s !== next);
      this.time = Math.max(this.time, next.until);
      next.wake();
    }
    this.time = target;
    await settle();
  }

  /** Awaits `work`, moving time in `stepMs` steps while it waits (for callers polling on this clock). */
  async whileWaiting<T>(work: Promise<T>, stepMs = 50, maxSteps = 1000): Promise<T> {
    let done = false;
    const watched = work.finally(() => {
      done = true;
    });
    for (let step = 0; step < maxSteps && !done; step += 1) await this.advance(stepMs);
    return watched;
  }

  /** How many callers are asleep right now. */
  get sleeping(): number {
    return this.sleepers.length;
  }
}

/** Lets pending promise chains (and in-process I/O callbacks) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setImmediate(resolve));
}
