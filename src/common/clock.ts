import { setTimeout as sleep } from 'node:timers/promises';

/** Time for logic that depends on it (token refresh, locks, budgets), so a unit test can move it instead of waiting. */
export abstract class Clock {
  abstract now(): number;
  abstract sleep(ms: number): Promise<void>;
}

export class SystemClock extends Clock {
  now(): number {
    return Date.now();
  }

  async sleep(ms: number): Promise<void> {
    await sleep(ms);
  }
}
