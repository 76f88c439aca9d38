import { Injectable } from '@nestjs/common';
import { BatchQueue, type QueueDepth } from './batch.queue.js';
import { BatchesRepository } from './batches.repository.js';
import { BatchSender } from './batch-sender.js';

export interface BatchProgressSnapshot {
  queue: 'bullmq' | 'in-process';
  /** Chunks (up to 200 recipients each) waiting, being sent, and waiting for a retry; null when the queue did not answer. */
  depth: QueueDepth | null;
  /** Batches queued or running; null when the database did not answer. */
  activeBatches: number | null;
  /** Chunks this instance is sending right now. */
  activeHere: number;
}

/** Queue depth and batch progress, for /health (never failing it) and for metrics. */
@Injectable()
export class BatchProgress {
  constructor(
    private readonly queue: BatchQueue,
    private readonly batches: BatchesRepository,
    private readonly sender: BatchSender,
  ) {}

  async snapshot(): Promise<BatchProgressSnapshot> {
    const [depth, activeBatches] = await Promise.all([
      this.queue.depth().catch(() => null),
      withTimeout(this.batches.activeBatches(), 1500).catch(() => null),
    ]);
    return { queue: this.queue.kind, depth, activeBatches, activeHere: this.sender.activeChunks };
  }
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timed out')), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
