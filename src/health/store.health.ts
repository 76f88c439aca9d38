import { Injectable, Logger } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { KeyValueStore } from '../redis/key-value.store.js';

/** PING within REDIS_COMMAND_TIMEOUT_MS (every store command has that deadline); the cause goes to the log only. */
@Injectable()
export class StoreHealthIndicator {
  private readonly logger = new Logger(StoreHealthIndicator.name);

  constructor(
    private readonly health: HealthIndicatorService,
    private readonly store: KeyValueStore,
  ) {}

  async check(key: string) {
    const indicator = this.health.check(key);
    try {
      await this.store.ping();
      return indicator.up({ kind: this.store.kind });
    } catch (error) {
      this.logger.warn({ err: error }, 'Health check: the store is down');
      return indicator.down({ kind: this.store.kind });
    }
  }
}
