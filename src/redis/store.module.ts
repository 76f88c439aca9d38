import { CacheModule } from '@nestjs/cache-manager';
import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import KeyvRedis from '@keyv/redis';
import { Keyv } from 'keyv';
import type { AppConfig } from '../config/app-config.js';
import type { CommandDeadline } from './command-deadline.js';
import { ExpiringMap } from './expiring-map.js';
import { KeyValueStore } from './key-value.store.js';
import { MemoryKeyValueStore } from './memory-key-value.store.js';
import { RedisConnection } from './redis.connection.js';
import { REDIS_CONNECTION } from './redis.constants.js';
import { RedisKeyValueStore } from './redis-key-value.store.js';

/**
 * Redis when REDIS_URL (or REDIS_CLUSTER_NODES) is set, process memory otherwise. Two faces over one connection:
 * KeyValueStore (sessions, locks, idempotency: errors surface as 503) and the cache-manager
 * cache (best-effort caching, where cache-manager turning a Redis error into a miss is right).
 */
@Global()
@Module({
  imports: [
    CacheModule.registerAsync({
      isGlobal: true,
      inject: [REDIS_CONNECTION],
      useFactory: (redis: RedisConnection | null) => ({
        stores: [
          redis
            ? new Keyv({
                store: withDeadlines(new KeyvRedis(redis.client, { throwOnConnectError: false }), redis.deadline),
                namespace: 'cache',
              })
            : new Keyv({ store: new ExpiringMap(), namespace: 'cache' }),
        ],
      }),
    }),
  ],
  providers: [
    {
      provide: REDIS_CONNECTION,
      inject: [ConfigService],
      useFactory: (config: ConfigService<AppConfig, true>) => {
        const { url, clusterNodes, commandTimeoutMs } = config.get('redis', { infer: true });
        if (!url && !clusterNodes) return null;
        const connection = new RedisConnection(clusterNodes ? { clusterNodes } : { url: url as string }, commandTimeoutMs);
        connection.start();
        return connection;
      },
    },
    {
      provide: KeyValueStore,
      inject: [REDIS_CONNECTION],
      useFactory: (redis: RedisConnection | null) => (redis ? new RedisKeyValueStore(redis) : new MemoryKeyValueStore()),
    },
  ],
  exports: [REDIS_CONNECTION, KeyValueStore],
})
export class StoreModule implements OnApplicationShutdown {
  constructor(
    @Inject(REDIS_CONNECTION) private readonly redis: RedisConnection | null,
    private readonly store: KeyValueStore,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.store instanceof MemoryKeyValueStore) this.store.close();
    await this.redis?.close();
  }
}

const CACHE_COMMANDS = new Set<PropertyKey>(['get', 'getMany', 'set', 'setMany', 'delete', 'deleteMany', 'has', 'hasMany', 'clear']);

/** The cache's commands get the same deadline as the store's (cache-manager then treats a stuck Redis as a miss). */
function withDeadlines<T extends object>(store: T, deadline: CommandDeadline): T {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function' || !CACHE_COMMANDS.has(property)) return value;
      return (...args: unknown[]) => deadline.run(async () => (value as (...a: unknown[]) => unknown).apply(target, args));
    },
  });
}
