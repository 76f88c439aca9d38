import type { INestApplication } from '@nestjs/common';
import { createApp } from '../../src/bootstrap.js';
import { validateEnvironment } from '../../src/config/env.validation.js';
import { FakeWechatServer, type FakeWechatOptions } from '../../src/sandbox/fake-wechat.server.js';
import { databaseUrl, httpAdapter, redisClusterNodes, redisUrl } from './backends.js';

export interface TestApp {
  app: INestApplication;
  url: string;
  fake: FakeWechatServer;
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string | undefined>;
  /** Share a fake between instances; otherwise each app gets its own, closed with it. */
  fake?: FakeWechatServer;
  fakeOptions?: FakeWechatOptions;
}

/** The real AppModule on the configured backends, listening on a free loopback port, talking to a fake WeChat over HTTP. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const ownFake = !options.fake;
  const fake = options.fake ?? (await FakeWechatServer.start(options.fakeOptions));
  const env: Record<string, string | undefined> = {
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    REDIS_CLUSTER_NODES: redisClusterNodes,
    HTTP_ADAPTER: httpAdapter,
    WECHAT_APP_ID: fake.appId,
    WECHAT_APP_SECRET: fake.appSecret,
    WECHAT_API_BASE_URL: fake.baseUrl,
    WECHAT_TIMEOUT_MS: '2000',
    THROTTLE_LOGIN_LIMIT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...options.env,
  };
  // A test that names its own Redis (an unreachable one, a server of its own) means that one.
  if (options.env?.REDIS_URL !== undefined && options.env.REDIS_URL !== redisUrl && !('REDIS_CLUSTER_NODES' in options.env))
    env.REDIS_CLUSTER_NODES = undefined;
  const app = await createApp(validateEnvironment(env));
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  return {
    app,
    url: `http://127.0.0.1:${address.port}`,
    fake,
    async close() {
      await app.close();
      if (ownFake) await fake.close();
    },
  };
}

let counter = 0;
/** An openid no other test (or earlier run against the same database) uses. */
export function uniqueOpenid(): string {
  counter += 1;
  return `o${Date.now().toString(36)}${process.pid.toString(36)}${counter}${Math.random().toString(36).slice(2, 8)}`.slice(0, 28);
}

export interface TwoApps {
  fake: FakeWechatServer;
  a: TestApp;
  b: TestApp;
}

/** Two instances over the same database and store and one fake WeChat: `({ fake, a, b } = await startTwoApps(...))` in a beforeAll. */
export async function startTwoApps(options: Pick<TestAppOptions, 'env' | 'fakeOptions'> = {}): Promise<TwoApps> {
  const fake = await FakeWechatServer.start(options.fakeOptions);
  const [a, b] = await Promise.all([startTestApp({ fake, env: options.env }), startTestApp({ fake, env: options.env })]);
  return { fake, a, b };
}

/** For afterAll: closes both instances, then their fake. */
export async function closeTwoApps({ fake, a, b }: Partial<TwoApps>): Promise<void> {
  await Promise.all([a?.close(), b?.close()]);
  await fake?.close();
}
