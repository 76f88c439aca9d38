import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { BatchProgress } from '../templates/batches/batch-progress.js';

/** Queue depth and active batches; informational, never makes /health 503. */
@Injectable()
export class BatchQueueHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly progress: BatchProgress,
  ) {}

  async check(key: string) {
    const { queue, depth, activeBatches, activeHere } = await this.progress.snapshot();
    return this.health.check(key).up({ queue, ...(depth ?? { waiting: null, active: null, delayed: null }), activeBatches, activeHere });
  }
}
