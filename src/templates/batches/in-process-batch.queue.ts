import { Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../../config/app-config.js';
import { type BatchChunk, BatchSender } from './batch-sender.js';
import { BatchQueue, type QueueDepth, retryDelayMs } from './batch.queue.js';
import { WORKER_CONCURRENCY } from './bull-batch.queue.js';

interface Job {
  chunk: BatchChunk;
  attemptsMade: number;
}

/**
 * The embedded defaults' queue (no Redis): the BullMQ queue's behaviour in this process, the same
 * concurrency, attempts and backoff. Queued work lives in memory only: a restart loses it.
 */
@Injectable()
export class InProcessBatchQueue extends BatchQueue implements BeforeApplicationShutdown {
  readonly kind = 'in-process' as const;
  private readonly logger = new Logger(InProcessBatchQueue.name);
  private readonly waiting: Job[] = [];
  private readonly delayed = new Set<NodeJS.Timeout>();
  private active = 0;
  private stopped = false;
  private readonly maxAttempts: number;

  constructor(
    private readonly sender: BatchSender,
    config: ConfigService<AppConfig, true>,
  ) {
    super();
    this.maxAttempts = config.get('batch', { infer: true }).maxAttempts;
  }

  async enqueue(chunks: BatchChunk[]): Promise<void> {
    for (const chunk of chunks) this.waiting.push({ chunk, attemptsMade: 0 });
    this.pump();
  }

  async depth(): Promise<QueueDepth> {
    return { waiting: this.waiting.length, active: this.active, delayed: this.delayed.size };
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    for (const timer of this.delayed) clearTimeout(timer);
    this.delayed.clear();
    await this.sender.stop();
  }

  private pump(): void {
    while (!this.stopped && this.active < WORKER_CONCURRENCY && this.waiting.length > 0) {
      const job = this.waiting.shift() as Job;
      this.active += 1;
      void this.run(job).finally(() => {
        this.active -= 1;
        this.pump();
      });
    }
  }

  private async run(job: Job): Promise<void> {
    const lastAttempt = job.attemptsMade + 1 >= this.maxAttempts;
    try {
      const result = await this.sender.process(job.chunk, lastAttempt);
      if (result === 'done' || result === 'interrupted') return;
    } catch (error) {
      this.logger.warn({ err: error, batchId: job.chunk.batchId }, 'Batch chunk failed; retrying after a backoff');
      if (lastAttempt) {
        await this.sender
          .abandon(job.chunk, 'gave up: the chunk failed on every attempt')
          .catch((e: unknown) => this.logger.error({ err: e }, 'Could not settle an abandoned chunk'));
        return;
      }
    }
    job.attemptsMade += 1;
    const timer = setTimeout(() => {
      this.delayed.delete(timer);
      this.waiting.push(job);
      this.pump();
    }, retryDelayMs(job.attemptsMade));
    this.delayed.add(timer);
  }
}
