import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import { createClient, createCluster } from '@redis/client';
import { CommandDeadline } from './command-deadline.js';

export type RedisSingleClient = ReturnType<typeof createClient>;
export type RedisClusterClient = ReturnType<typeof createCluster>;
/** The commands the app uses exist on both, with the same signatures (a cluster routes each by its key). */
export type RedisClient = RedisSingleClient | RedisClusterClient;

export type RedisTarget = { url: string } | { clusterNodes: Array<{ host: string; port: number }> };

function socketOptions(commandTimeoutMs: number) {
  return {
    // A paused server accepts the TCP connection but never answers the handshake: the client then
    // stays "not ready" and commands fail at once instead of queueing.
    connectTimeout: Math.max(commandTimeoutMs, 500),
    socketTimeout: 5000,
    reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 1000),
  };
}

/**
 * The one raw Redis connection (a single server, or a Redis Cluster with REDIS_CLUSTER_NODES),
 * shared by the key-value store (sessions, locks, idempotency, login throttle) and the cache
 * (through @keyv/redis). Commands fail at once while disconnected (no offline queue), so an outage
 * turns into a fast 503 instead of requests piling up; it reconnects on its own.
 */
export class RedisConnection {
  private readonly logger = new Logger('Redis');
  private lastErrorLog = 0;
  private closed = false;
  /** A cluster client is open before it has learnt the slots; it is usable once connect() resolved. */
  private clusterConnected = false;
  readonly client: RedisClient;
  readonly isCluster: boolean;
  /** REDIS_COMMAND_TIMEOUT_MS on every command (the store's and the cache's), single or cluster. */
  readonly deadline: CommandDeadline;

  constructor(target: RedisTarget | string, commandTimeoutMs = 1000) {
    const SOCKET = socketOptions(commandTimeoutMs);
    const resolved = typeof target === 'string' ? { url: target } : target;
    if ('clusterNodes' in resolved) {
      this.isCluster = true;
      this.client = createCluster({
        rootNodes: resolved.clusterNodes.map(({ host, port }) => ({ socket: { host, port } })),
        defaults: { disableOfflineQueue: true, pingInterval: 2000, socket: SOCKET },
      });
    } else {
      this.isCluster = false;
      this.client = createClient({
        url: resolved.url,
        disableOfflineQueue: true,
        // socketTimeout would drop an idle connection; a PING every 2 s keeps it busy enough.
        pingInterval: 2000,
        socket: SOCKET,
      });
    }
    this.deadline = new CommandDeadline(commandTimeoutMs, () => (this.client as RedisSingleClient).ping());
    this.client.on('error', (error: Error) => this.logThrottled(error));
    if (!this.isCluster) this.client.on('ready', () => this.logger.log('Redis connection ready'));
  }

  /** True while commands can be sent (a cluster client has no `isReady`; its node clients reconnect on their own). */
  get ready(): boolean {
    return this.isCluster ? this.clusterConnected && this.client.isOpen : (this.client as RedisSingleClient).isReady;
  }

  /** Starts connecting; the app boots even when Redis is down (it reports 503 until Redis answers). */
  start(): void {
    if (!this.isCluster) {
      this.client.connect().catch((error: Error) => this.logThrottled(error));
      return;
    }
    // A cluster client's first connect discovers the topology and gives up if no node answers: retry until one does.
    void (async () => {
      while (!this.closed && !this.client.isOpen) {
        try {
          await this.client.connect();
          this.clusterConnected = true;
          this.logger.log('Redis Cluster connection ready');
        } catch (error) {
          this.logThrottled(error as Error);
          await sleep(500);
        }
      }
    })();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.deadline.close();
    try {
      if (this.ready) await this.client.close();
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
