import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FakeWechatServer } from '../../src/sandbox/fake-wechat.server.js';
import { databaseUrl, httpAdapter, redisClusterNodes, redisUrl } from './backends.js';
import { freePort, waitFor } from './service-processes.js';

const run = promisify(execFile);
// TEST_BUILD_DIR: passes that run side by side in one checkout (.ci/run) each build into their own.
export const BUILT_DIR = process.env.TEST_BUILD_DIR ?? '.test-dist';

/**
 * Compiles the app once per test run (specs run in band, in one process) for the tests that start
 * it as its own process, the way `npm run start:prod` does.
 */
export async function buildOnce(): Promise<void> {
  const marker = join(BUILT_DIR, `.built-by-${process.pid}`);
  if (existsSync(marker)) return;
  await run('npx', ['tsc', '-p', 'tsconfig.build.json', '--outDir', BUILT_DIR], { timeout: 120_000 });
  writeFileSync(marker, '');
}

export interface BuiltApp {
  base: string;
  child: ChildProcess;
  /** The exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** What it wrote to stderr (and to stdout, when asked for). */
  output: () => string;
}

/**
 * Starts the built app as its own process (after `buildOnce`), on a free port, over the test's
 * database and store and `fake`, with `env` on top; resolves once /health answers 200.
 */
export async function startBuiltApp(
  fake: FakeWechatServer,
  env: Record<string, string>,
  options: { stdout?: boolean } = {},
): Promise<BuiltApp> {
  const port = await freePort();
  const child = spawn('node', [`${BUILT_DIR}/main.js`], {
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      PORT: String(port),
      HTTP_ADAPTER: httpAdapter,
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl ?? '',
      REDIS_CLUSTER_NODES: redisClusterNodes ?? '',
      WECHAT_APP_ID: fake.appId,
      WECHAT_APP_SECRET: fake.appSecret,
      WECHAT_API_BASE_URL: fake.baseUrl,
      ...env,
    },
    stdio: ['ignore', options.stdout ? 'pipe' : 'ignore', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const base = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${base}/health`)).status === 200, 'the built app', 30_000);
  return { base, child, exited, output: () => output };
}
