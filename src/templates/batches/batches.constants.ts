export const BATCH_QUEUE_NAME = 'template-batches';
/** Braced: every key BullMQ keeps for the queue hashes to one slot, as its multi-key scripts need on a Redis Cluster. */
export const BATCH_QUEUE_PREFIX = '{batch-queue}';
export const SEND_RATE_LIMITER = 'SEND_RATE_LIMITER';
export const BATCH_QUEUE_CONNECTION = 'BATCH_QUEUE_CONNECTION';
