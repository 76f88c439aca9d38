import { Logger } from '@nestjs/common';
import { createClient } from '@redis/client';

export type RedisClient = ReturnType<typeof createClient>;

/**
 * The one raw Redis connection, shared by the key-value store (sessions, locks, idempotency,
 * login throttle) and the cache (through @keyv/redis). Commands fail at once while disconnected
 * (no offline queue), so an outage turns into a fast 503 instead of requests piling up; it
 * reconnects on its own.
 */
export class RedisConnection {
  private readonly logger = new Logger('Redis');
  private lastErrorLog = 0;
  readonly client: RedisClient;

  constructor(url: string) {
    this.client = createClient({
      url,
      disableOfflineQueue: true,
      // socketTimeout would drop an idle connection; a PING every 2 s keeps it busy enough.
      pingInterval: 2000,
      socket: {
        connectTimeout: 2000,
        socketTimeout: 5000,
        reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 1000),
      },
    });
    this.client.on('error', (error: Error) => this.logThrottled(error));
    this.client.on('ready', () => this.logger.log('Redis connection ready'));
  }

  /** Starts connecting; the app boots even when Redis is down (it reports 503 until Redis answers). */
  start(): void {
    this.client.connect().catch((error: Error) => this.logThrottled(error));
  }

  async close(): Promise<void> {
    try {
      if (this.client.isReady) await this.client.close();
      else if (this.client.isOpen) this.client.destroy();
    } catch {
      // Already closed or never connected: nothing left to release.
    }
  }

  private logThrottled(error: Error): void {
    const now = Date.now();
    if (now - this.lastErrorLog < 5000) return;
    this.lastErrorLog = now;
    this.logger.warn(`Redis unavailable: ${error.message}`);
  }
}
