import type { BatchChunk } from './batch-sender.js';

export interface QueueDepth {
  waiting: number;
  active: number;
  delayed: number;
}

/**
 * Where chunks of batches wait to be sent: BullMQ on Redis (shared by all instances, survives a
 * restart) or, on embedded defaults, a queue in this process with the same behaviour (lost on
 * restart). The worker side is BatchSender, driven by the queue's own consumer.
 */
export abstract class BatchQueue {
  abstract readonly kind: 'bullmq' | 'in-process';
  abstract enqueue(chunks: BatchChunk[]): Promise<void>;
  abstract depth(): Promise<QueueDepth>;
}

/** Between attempts of a chunk: 2 s, 4 s, 8 s, 16 s, … — with 5 attempts the retries of a recipient span 30 s. */
export const RETRY_BASE_DELAY_MS = 2000;

export function retryDelayMs(attemptsMade: number): number {
  return RETRY_BASE_DELAY_MS * 2 ** (attemptsMade - 1);
}

/** One job id per chunk: adding a chunk twice is a no-op on BullMQ. */
export function chunkJobId(chunk: BatchChunk): string {
  return `${chunk.batchId}-${chunk.from}`;
}
