import { BullModule } from '@nestjs/bullmq';
import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Cluster, Redis } from 'ioredis';
import type { AppConfig } from '../../config/app-config.js';
import { REDIS_CONNECTION } from '../../redis/redis.constants.js';
import type { RedisConnection } from '../../redis/redis.connection.js';
import type { BatchQueueCounts } from '../../metrics/batch-queue-counts.js';
import { BATCH_QUEUE_COUNTS } from '../../metrics/metrics.constants.js';
import { SubscriptionsModule } from '../../push/subscriptions.module.js';
import { WechatModule } from '../../wechat/wechat.module.js';
import { TemplatesModule } from '../templates.module.js';
import { BatchProcessor } from './batch.processor.js';
import { BatchProgress } from './batch-progress.js';
import { BatchQueueConnectionModule } from './batch-queue.connection.js';
import { BatchQueue, RETRY_BASE_DELAY_MS } from './batch.queue.js';
import { BatchSender } from './batch-sender.js';
import { BATCH_QUEUE_CONNECTION, BATCH_QUEUE_NAME, BATCH_QUEUE_PREFIX, SEND_RATE_LIMITER } from './batches.constants.js';
import { BatchesController } from './batches.controller.js';
import { BatchesRepository } from './batches.repository.js';
import { BatchesService } from './batches.service.js';
import { BullBatchQueue } from './bull-batch.queue.js';
import { InProcessBatchQueue } from './in-process-batch.queue.js';
import { MemorySendRateLimiter, RedisSendRateLimiter } from './send-rate.limiter.js';

/**
 * Batch sending. With Redis (REDIS_URL or REDIS_CLUSTER_NODES) the queue is BullMQ, shared by
 * every instance; on embedded defaults it is in-process. Global only to export BatchProgress to
 * /health and metrics.
 */
@Module({})
export class BatchesModule {
  static forRoot(config: AppConfig): DynamicModule {
    const onRedis = config.redis.url !== null || config.redis.clusterNodes !== null;
    const limiter: Provider = {
      provide: SEND_RATE_LIMITER,
      inject: [ConfigService, REDIS_CONNECTION],
      useFactory: (c: ConfigService<AppConfig, true>, redis: RedisConnection | null) => {
        const rate = c.get('batch', { infer: true }).ratePerSecond;
        return redis ? new RedisSendRateLimiter(rate, redis) : new MemorySendRateLimiter(rate);
      },
    };
    const common = {
      controllers: [BatchesController],
      exports: [BatchProgress],
    };
    // The queue's counts for /metrics (waiting includes the chunks waiting out a retry backoff).
    const counts: Provider = {
      provide: BATCH_QUEUE_COUNTS,
      inject: [BatchQueue],
      useFactory: (queue: BatchQueue): BatchQueueCounts => ({
        counts: async () => {
          const depth = await queue.depth().catch(() => ({ waiting: 0, active: 0, delayed: 0 }));
          return { waiting: depth.waiting + depth.delayed, active: depth.active };
        },
      }),
    };
    const providers: Provider[] = [BatchesRepository, BatchesService, BatchSender, BatchProgress, limiter, counts];
    if (!onRedis) {
      return {
        module: BatchesModule,
        global: true,
        imports: [WechatModule, TemplatesModule, SubscriptionsModule],
        providers: [...providers, InProcessBatchQueue, { provide: BatchQueue, useExisting: InProcessBatchQueue }],
        ...common,
      };
    }
    return {
      module: BatchesModule,
      global: true,
      imports: [
        WechatModule,
        TemplatesModule,
        SubscriptionsModule,
        BullModule.forRootAsync({
          imports: [BatchQueueConnectionModule],
          inject: [BATCH_QUEUE_CONNECTION],
          useFactory: (connection: Redis | Cluster) => ({ connection, prefix: BATCH_QUEUE_PREFIX }),
        }),
        BullModule.registerQueue({
          name: BATCH_QUEUE_NAME,
          defaultJobOptions: {
            attempts: config.batch.maxAttempts,
            backoff: { type: 'exponential', delay: RETRY_BASE_DELAY_MS },
            removeOnComplete: { age: 3600, count: 10_000 },
            removeOnFail: { age: 7 * 24 * 3600 },
          },
        }),
      ],
      providers: [...providers, BullBatchQueue, { provide: BatchQueue, useExisting: BullBatchQueue }, BatchProcessor],
      ...common,
    };
  }
}
