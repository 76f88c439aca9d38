import { redisUrl } from './backends.js';
import { OwnMariadb, OwnRedis } from './service-processes.js';
import { startTestApp, type TestApp } from './test-app.js';

type Env = Record<string, string | undefined>;

/** The app on a redis-server of the test's own (to stop, pause or kill): `({ t, redis } = await appOnOwnRedis())` in a beforeAll. */
export async function appOnOwnRedis(env: Env = {}): Promise<{ t: TestApp; redis: OwnRedis }> {
  const redis = await OwnRedis.start();
  return { t: await startOrStop(redis, { REDIS_URL: redis.url, ...env }), redis };
}

/** The app on a MariaDB of the test's own and the shared Redis: `({ t, db } = await appOnOwnMariadb())` in a beforeAll. */
export async function appOnOwnMariadb(env: Env = {}): Promise<{ t: TestApp; db: OwnMariadb }> {
  const db = await OwnMariadb.start();
  return { t: await startOrStop(db, { DATABASE_URL: db.url, REDIS_URL: redisUrl, ...env }), db };
}

/** The app, or (when it does not start) the server removed before the error goes on: no server outlives its test. */
async function startOrStop(server: OwnRedis | OwnMariadb, env: Env): Promise<TestApp> {
  try {
    return await startTestApp({ env });
  } catch (error) {
    await closeAppAndOwnServer(undefined, server);
    throw error;
  }
}

/** For afterAll: closes the app, then removes its own server (resumed first, should a test have left it paused). */
export async function closeAppAndOwnServer(t: TestApp | undefined, server: OwnRedis | OwnMariadb | undefined): Promise<void> {
  if (server instanceof OwnMariadb) server.unpause();
  await t?.close();
  if (server instanceof OwnMariadb) await server.destroy();
  else await server?.kill();
}
