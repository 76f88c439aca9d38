import { setTimeout as sleep } from 'node:timers/promises';
import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { type BeforeApplicationShutdown, Logger } from '@nestjs/common';
import { DelayedError, type Job } from 'bullmq';
import { type BatchChunk, BatchSender } from './batch-sender.js';
import { BATCH_QUEUE_NAME } from './batches.constants.js';
import { WORKER_CONCURRENCY } from './bull-batch.queue.js';

const SHUTDOWN_JOB_WAIT_MS = 3000;

/** Thrown to have BullMQ run the chunk again after its backoff (some recipients are worth retrying). */
class RecipientsToRetry extends Error {
  override name = 'RecipientsToRetry';
}

/**
 * BullMQ's consumer of the batch queue, on every instance. A job's lock is renewed while it runs;
 * an instance that dies leaves its jobs to be found stalled (within lockDuration + stalledInterval)
 * and run again elsewhere, where BatchSender settles what was in flight as `unknown`.
 */
@Processor(BATCH_QUEUE_NAME, { concurrency: WORKER_CONCURRENCY, lockDuration: 10_000, stalledInterval: 5_000, maxStalledCount: 3 })
export class BatchProcessor extends WorkerHost implements BeforeApplicationShutdown {
  private readonly logger = new Logger(BatchProcessor.name);
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly sender: BatchSender) {
    super();
  }

  async process(job: Job<BatchChunk>, token?: string): Promise<void> {
    const run = this.run(job, token);
    this.running.add(run);
    try {
      await run;
    } finally {
      this.running.delete(run);
    }
  }

  private async run(job: Job<BatchChunk>, token?: string): Promise<void> {
    const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    const result = await this.sender.process(job.data, lastAttempt);
    if (result === 'retry') throw new RecipientsToRetry('some recipients will be retried after a backoff');
    if (result === 'interrupted') {
      // Back to the queue for another instance, without spending an attempt.
      await job.moveToDelayed(Date.now(), token);
      throw new DelayedError();
    }
  }

  @OnWorkerEvent('failed')
  async onFailed(job: Job<BatchChunk> | undefined, error: Error): Promise<void> {
    if (!job || (job.attemptsMade < (job.opts.attempts ?? 1) && !/stalled/i.test(error.message))) return;
    if (!(error instanceof RecipientsToRetry)) this.logger.warn({ err: error, batchId: job.data.batchId }, 'Batch chunk given up');
    await this.sender
      .abandon(job.data, `gave up: ${error.message}`.slice(0, 512))
      .catch((e: unknown) => this.logger.error({ err: e }, 'Could not settle an abandoned chunk'));
  }

  @OnWorkerEvent('error')
  onError(error: Error): void {
    this.logger.debug(`Batch worker: ${error.message}`);
  }

  /**
   * Shutdown: no new slice starts, the slices in flight finish and are recorded, the running jobs
   * go back to the queue; then the worker closes. Forced, because a plain close waits for Redis
   * to answer and would hang the shutdown during a Redis outage; by then no job is left to wait for.
   */
  async beforeApplicationShutdown(): Promise<void> {
    await this.sender.stop();
    await Promise.race([Promise.allSettled([...this.running]), sleep(SHUTDOWN_JOB_WAIT_MS)]);
    await this.worker.close(true);
  }
}
