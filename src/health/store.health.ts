import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { KeyValueStore } from '../redis/key-value.store.js';

const PING_TIMEOUT_MS = 1500;

@Injectable()
export class StoreHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly store: KeyValueStore,
  ) {}

  async check(key: string) {
    const indicator = this.health.check(key);
    try {
      await Promise.race([
        this.store.ping(),
        new Promise((_, reject) => setTimeout(() => reject(new Error('ping timed out')), PING_TIMEOUT_MS).unref()),
      ]);
      return indicator.up({ kind: this.store.kind });
    } catch (error) {
      return indicator.down({ kind: this.store.kind, message: (error as Error).message });
    }
  }
}
