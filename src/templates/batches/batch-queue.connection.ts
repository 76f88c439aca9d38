import { Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Cluster, Redis } from 'ioredis';
import type { AppConfig } from '../../config/app-config.js';
import { BATCH_QUEUE_CONNECTION } from './batches.constants.js';

/**
 * BullMQ's own Redis connection, on ioredis: BullMQ 6.7 also takes a node-redis client (the
 * library the rest of the app uses), but its node-redis adapter has no Redis Cluster support
 * (`isCluster = false // TODO` in bullmq/dist/esm/classes/node-redis-client.js), and the queue
 * must run on the cluster too. One driver for the queue in both modes keeps one tested path.
 * maxRetriesPerRequest null is what BullMQ requires; it bounds its own waits (a watchdog on the
 * blocking connection), and the app's calls into the queue have their own deadlines.
 */
export function createQueueConnection(redis: AppConfig['redis']): Redis | Cluster {
  const logger = new Logger('BatchQueueRedis');
  let lastLog = 0;
  const onError = (error: Error) => {
    if (Date.now() - lastLog < 5000) return;
    lastLog = Date.now();
    logger.warn(`Batch queue Redis unavailable: ${error.message}`);
  };
  const retry = (times: number) => Math.min(100 * times, 1000);
  const connection = redis.clusterNodes
    ? new Cluster(redis.clusterNodes, {
        redisOptions: { maxRetriesPerRequest: null, connectTimeout: 2000 },
        clusterRetryStrategy: retry,
      })
    : new Redis(redis.url as string, { maxRetriesPerRequest: null, connectTimeout: 2000, retryStrategy: retry });
  connection.on('error', onError);
  return connection;
}

@Module({
  providers: [
    {
      provide: BATCH_QUEUE_CONNECTION,
      inject: [ConfigService],
      useFactory: (config: ConfigService<AppConfig, true>) => createQueueConnection(config.get('redis', { infer: true })),
    },
  ],
  exports: [BATCH_QUEUE_CONNECTION],
})
export class BatchQueueConnectionModule implements OnApplicationShutdown {
  constructor(@Inject(BATCH_QUEUE_CONNECTION) private readonly connection: Redis | Cluster) {}

  async onApplicationShutdown(): Promise<void> {
    // quit() on a connection that never got up would wait for it; disconnect() also stops reconnecting.
    if (this.connection.status === 'ready') await this.connection.quit().catch(() => undefined);
    this.connection.disconnect();
  }
}
