import { Logger } from '@nestjs/common';
import type { Clock } from '../common/clock.js';
import type { KeyValueStore } from '../redis/key-value.store.js';

// getStableAccessToken's force_refresh budget (wechat-api.md §3): 20 a day, at least 30 s apart.
const PER_DAY = 20;
const SPACING_MS = 30_000;
const DAY_MS = 24 * 3600_000;

/** Counts force_refresh calls in the shared store, so all instances spend one budget. */
export class ForceRefreshBudget {
  private readonly logger = new Logger(ForceRefreshBudget.name);

  constructor(
    private readonly store: KeyValueStore,
    private readonly clock: Clock,
    private readonly keyPrefix: string,
  ) {}

  /** True when a forced refresh may be made now; taking it spends one. */
  async take(): Promise<boolean> {
    const day = new Date(this.clock.now()).toISOString().slice(0, 10);
    if (!(await this.store.setIfAbsent(`${this.keyPrefix}:force:spacing`, '1', SPACING_MS))) return false;
    const { count } = await this.store.increment(`${this.keyPrefix}:force:${day}`, DAY_MS);
    if (count > PER_DAY) {
      this.logger.warn('force_refresh budget for today is spent; not forcing a new access token');
      return false;
    }
    return true;
  }
}
