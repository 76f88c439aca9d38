export type HttpAdapterName = 'express' | 'fastify';
export type TokenMode = 'stable' | 'classic';

export interface DatabaseConfig {
  type: 'mysql' | 'sqlite';
  /** mysql: the connection URL; sqlite: a file path or ':memory:'. */
  url: string;
  migrate: boolean;
  /** The longest a request waits on the database, a pooled connection included. */
  queryTimeoutMs?: number;
}

export interface WechatConfig {
  /** sandbox: the built-in fake WeChat (embedded defaults or WECHAT_SANDBOX=true); live: WECHAT_APP_ID's WeChat. */
  mode: 'sandbox' | 'live';
  /** Null in sandbox mode: the built-in fake WeChat supplies its own credentials. */
  appId: string | null;
  appSecret: string | null;
  apiBaseUrl: string;
  tokenMode: TokenMode;
  timeoutMs: number;
  refreshMarginSeconds: number;
}

export interface AppConfig {
  /** trustProxy: false, true (trust every hop), a hop count, or a comma list of proxy addresses/CIDRs. */
  http: { port: number; adapter: HttpAdapterName; bodyLimitBytes: number; trustProxy: boolean | number | string };
  database: DatabaseConfig;
  /**
   * clusterNodes (REDIS_CLUSTER_NODES) wins over url: the whole service then runs on the cluster.
   * commandTimeoutMs: the longest a request waits on one Redis command.
   */
  redis: { url: string | null; clusterNodes: Array<{ host: string; port: number }> | null; commandTimeoutMs: number };
  wechat: WechatConfig;
  auth: { sessionTtlSeconds: number; sessionMaxPerUser: number; serviceTokens: ReadonlyMap<string, string> };
  throttle: { loginLimit: number };
  /** The message-push callback's Token and EncodingAESKey (null: not configured / plaintext mode). */
  push: { token: string | null; aesKey: string | null };
  /** format null: chosen at start from whether stdout is a terminal. */
  log: { level: string; format: 'json' | 'pretty' | null };
  /** Batch sending: ratePerSecond 0 turns the limiter off. */
  batch: { ratePerSecond: number; maxAttempts: number };
}
