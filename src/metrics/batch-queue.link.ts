import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { BatchQueueCounts } from './batch-queue-counts.js';
import { BATCH_QUEUE_COUNTS } from './metrics.constants.js';
import { MetricsService } from './metrics.service.js';

/**
 * Hands the batch queue's counts to the metrics when some module provides BATCH_QUEUE_COUNTS, found
 * anywhere in the app (strict: false), so the metrics module imports nothing of the batch module.
 */
@Injectable()
export class BatchQueueLink implements OnApplicationBootstrap {
  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly metrics: MetricsService,
  ) {}

  onApplicationBootstrap(): void {
    let source: BatchQueueCounts;
    try {
      source = this.moduleRef.get<BatchQueueCounts>(BATCH_QUEUE_COUNTS, { strict: false });
    } catch {
      return;
    }
    this.metrics.useBatchQueue(source);
  }
}
