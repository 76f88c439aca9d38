export interface QueueCounts {
  waiting: number;
  active: number;
}

/**
 * What the batch-sending queue tells the metrics: its waiting and active job counts. The module that
 * owns the queue provides it under BATCH_QUEUE_COUNTS; without one, /metrics reports zeros.
 */
export interface BatchQueueCounts {
  counts(): Promise<QueueCounts>;
}
