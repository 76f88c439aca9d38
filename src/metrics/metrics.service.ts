import { Injectable, Logger } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { BatchQueueCounts, QueueCounts } from './batch-queue-counts.js';
import { UNMATCHED_ROUTE } from './metrics.constants.js';
import { processMetricsRegistry } from './process-metrics.js';

export type TokenRefreshResult = 'success' | 'failure';

/**
 * The app's Prometheus metrics (api-contract.md "Metrics (v2)"), in a registry of its own so that
 * apps sharing a process (tests) count apart; the process metrics are appended when scraped.
 * Every recording method is one counter increment or histogram observation: they sit on hot paths.
 */
@Injectable()
export class MetricsService {
  private readonly logger = new Logger(MetricsService.name);
  private readonly registry = new Registry();

  private readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP requests by method, declared route and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    registers: [this.registry],
  });

  private readonly wechatRequests = new Counter({
    name: 'wechat_api_requests_total',
    help: "Calls to WeChat's server API by endpoint and errcode (0 = success; timeout, network or bad_response when WeChat gave no errcode)",
    labelNames: ['endpoint', 'errcode'] as const,
    registers: [this.registry],
  });

  private readonly wechatDuration = new Histogram({
    name: 'wechat_api_request_duration_seconds',
    help: "Duration of calls to WeChat's server API by endpoint",
    labelNames: ['endpoint'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  private readonly tokenRefreshes = new Counter({
    name: 'wechat_access_token_refreshes_total',
    help: 'Access tokens fetched from WeChat by this instance, by result',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  private readonly sessionsCreated = new Counter({
    name: 'sessions_created_total',
    help: 'Sessions created (successful logins)',
    registers: [this.registry],
  });

  private readonly templateMessages = new Counter({
    name: 'template_messages_total',
    help: 'Template message sends recorded in the message log, by kind and status',
    labelNames: ['kind', 'status'] as const,
    registers: [this.registry],
  });

  /** Set by BatchQueueLink when a module provides BATCH_QUEUE_COUNTS; zeros until then. */
  private batchQueue: BatchQueueCounts | null = null;

  constructor() {
    const logger = this.logger;
    const queue = () => this.batchQueue;
    new Gauge({
      name: 'batch_queue_jobs',
      help: 'Jobs in the batch-sending queue by state (waiting, active)',
      labelNames: ['state'] as const,
      registers: [this.registry],
      async collect() {
        try {
          const counts = await queueCounts(queue());
          this.set({ state: 'waiting' }, counts.waiting);
          this.set({ state: 'active' }, counts.active);
        } catch (error) {
          // A scrape still answers while Redis is away; the queue's series are absent rather than stale.
          this.reset();
          logger.warn(`Batch queue counts unavailable: ${(error as Error).message}`);
        }
      },
    });
    // Every label combination known up front is exported at 0, so a rate() sees the first increment.
    for (const result of ['success', 'failure'] as const) this.tokenRefreshes.inc({ result }, 0);
    for (const kind of ['subscribe', 'legacy'] as const) {
      for (const status of ['sent', 'failed'] as const) this.templateMessages.inc({ kind, status }, 0);
    }
    this.sessionsCreated.inc(0);
  }

  useBatchQueue(source: BatchQueueCounts): void {
    this.batchQueue = source;
  }

  /** `route` is the declared route pattern (`/users/:id`), never the path: undefined when none matched. */
  observeHttpRequest(method: string, route: string | undefined, statusCode: number, seconds: number): void {
    this.httpDuration.observe({ method, route: route ?? UNMATCHED_ROUTE, status_code: statusCode }, seconds);
  }

  observeWechatCall(endpoint: string, errcode: number | string, seconds: number): void {
    this.wechatRequests.inc({ endpoint, errcode });
    this.wechatDuration.observe({ endpoint }, seconds);
  }

  countTokenRefresh(result: TokenRefreshResult): void {
    this.tokenRefreshes.inc({ result });
  }

  countSessionCreated(): void {
    this.sessionsCreated.inc();
  }

  countTemplateMessage(kind: string, status: string): void {
    this.templateMessages.inc({ kind, status });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text exposition: this app's metrics, then the process's. */
  async exposition(): Promise<string> {
    const [app, process] = await Promise.all([this.registry.metrics(), processMetricsRegistry().metrics()]);
    return `${app}\n${process}`;
  }
}

const QUEUE_COUNTS_DEADLINE_MS = 1000;

async function queueCounts(source: BatchQueueCounts | null): Promise<QueueCounts> {
  if (!source) return { waiting: 0, active: 0 };
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${QUEUE_COUNTS_DEADLINE_MS} ms`)), QUEUE_COUNTS_DEADLINE_MS);
  });
  try {
    return await Promise.race([source.counts(), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
