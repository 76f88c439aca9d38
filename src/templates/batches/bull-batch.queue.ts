import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import type { Queue } from 'bullmq';
import type { BatchChunk } from './batch-sender.js';
import { BatchQueue, chunkJobId, type QueueDepth } from './batch.queue.js';
import { BATCH_QUEUE_NAME } from './batches.constants.js';
import { withStoreDeadline } from './deadline.js';

/** Chunks running at once per instance (each sends up to a slice of recipients concurrently). */
export const WORKER_CONCURRENCY = 2;
const QUEUE_TIMEOUT_MS = 3000;

/** The queue on Redis (BullMQ), shared by every instance: any instance sends any chunk. */
@Injectable()
export class BullBatchQueue extends BatchQueue {
  readonly kind = 'bullmq' as const;

  private readonly logger = new Logger(BullBatchQueue.name);

  constructor(@InjectQueue(BATCH_QUEUE_NAME) private readonly queue: Queue) {
    super();
    // An 'error' event nobody listens to would crash the process; the connection logs its own outages.
    queue.on('error', (error: Error) => this.logger.debug(`Batch queue: ${error.message}`));
  }

  async enqueue(chunks: BatchChunk[]): Promise<void> {
    await withStoreDeadline(
      this.queue.addBulk(chunks.map((chunk) => ({ name: 'chunk', data: chunk, opts: { jobId: chunkJobId(chunk) } }))),
      QUEUE_TIMEOUT_MS,
      'Redis (batch queue)',
    );
  }

  async depth(): Promise<QueueDepth> {
    const counts = await withStoreDeadline(
      this.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized'),
      1000,
      'Redis (batch queue)',
    );
    return { waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0), active: counts.active ?? 0, delayed: counts.delayed ?? 0 };
  }
}
