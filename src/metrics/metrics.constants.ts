/** Provider token of a BatchQueueCounts (see batch-queue-counts.ts), looked up when /metrics is scraped. */
export const BATCH_QUEUE_COUNTS = 'BATCH_QUEUE_COUNTS';

/** The `route` label of a request no declared route matched (a 404, or a body rejected before routing). */
export const UNMATCHED_ROUTE = 'unmatched';
