import request from 'supertest';
import { describeWithServices } from '../support/backends.js';
import { OwnMariadb, OwnRedis, waitFor } from '../support/service-processes.js';
import { startTestApp, type TestApp, uniqueOpenid } from '../support/test-app.js';
import { appOnOwnMariadb, appOnOwnRedis, closeAppAndOwnServer } from '../support/own-services.js';

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = Date.now();
  const result = await work();
  return { result, ms: Date.now() - started };
}

describeWithServices({ mysql: true, redis: true }, 'outages of real dependencies', () => {
  describe('Redis stopped while the app runs', () => {
    let redis: OwnRedis;
    let t: TestApp;
    beforeAll(async () => ({ t, redis } = await appOnOwnRedis()));
    afterAll(() => closeAppAndOwnServer(t, redis));

    it('answers 503 quickly while Redis is down and recovers without a restart', async () => {
      const login = await request(t.url)
        .post('/auth/login')
        .send({ code: t.fake.issueLoginCode(uniqueOpenid()) })
        .expect(200);
      await redis.kill();

      const guarded = await timed(() => request(t.url).get('/users/me').set('Authorization', login.body.token));
      expect(guarded.result.status).toBe(503);
      expect(guarded.result.body.code).toBe('STORE_UNAVAILABLE');
      expect(guarded.ms).toBeLessThan(2000);
      const health = await timed(() => request(t.url).get('/health'));
      expect(health.result.status).toBe(503);
      expect(health.result.body.error).toEqual({ redis: { status: 'down', kind: 'redis' } });
      expect(JSON.stringify(health.result.body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|connect|closed|message/i);
      expect(health.ms).toBeLessThan(3000);
      const refused = await request(t.url)
        .post('/auth/login')
        .send({ code: t.fake.issueLoginCode(uniqueOpenid()) });
      expect(refused.status).toBe(503);

      await redis.resume();
      await waitFor(async () => (await request(t.url).get('/health')).status === 200, 'health after Redis returned', 10_000);
      const again = await request(t.url)
        .post('/auth/login')
        .send({ code: t.fake.issueLoginCode(uniqueOpenid()) })
        .expect(200);
      await request(t.url).get('/users/me').set('Authorization', again.body.token).expect(200);
    });
  });

  describe('MariaDB stopped while the app runs', () => {
    let db: OwnMariadb;
    let t: TestApp;
    beforeAll(async () => ({ t, db } = await appOnOwnMariadb()));
    afterAll(() => closeAppAndOwnServer(t, db));

    it('answers login and /health with 503 while the database is down and recovers without a restart', async () => {
      const before = await request(t.url)
        .post('/auth/login')
        .send({ code: t.fake.issueLoginCode(uniqueOpenid()) })
        .expect(200);
      await db.kill();

      const login = await timed(() =>
        request(t.url)
          .post('/auth/login')
          .send({ code: t.fake.issueLoginCode(uniqueOpenid()) }),
      );
      expect(login.result.status).toBe(503);
      expect(login.result.body.code).toBe('DATABASE_UNAVAILABLE');
      expect(login.ms).toBeLessThan(6000);
      // The session carries the user: a guarded read needs no database.
      const me = await request(t.url).get('/users/me').set('Authorization', before.body.token);
      expect(me.status).toBe(200);
      expect(me.body.id).toBe(before.body.user.id);
      const health = await timed(() => request(t.url).get('/health'));
      expect(health.result.status).toBe(503);
      expect(health.result.body.error).toEqual({ database: { status: 'down' } });
      expect(JSON.stringify(health.result.body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|connect|message/i);
      expect(health.ms).toBeLessThan(3000);

      await db.resume();
      await waitFor(async () => (await request(t.url).get('/health')).status === 200, 'health after MariaDB returned', 15_000);
      await request(t.url)
        .post('/auth/login')
        .send({ code: t.fake.issueLoginCode(uniqueOpenid()) })
        .expect(200);
      await request(t.url).get('/users/me').set('Authorization', before.body.token).expect(200);
    });
  });
});

describe('WeChat slow or down', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { WECHAT_TIMEOUT_MS: '800' } });
  });
  afterAll(() => t.close());

  it('answers 504 within the configured timeout when WeChat takes 10 s', async () => {
    t.fake.setLatency(10_000);
    try {
      const login = await timed(() =>
        request(t.url)
          .post('/auth/login')
          .send({ code: t.fake.issueLoginCode(uniqueOpenid()) }),
      );
      expect(login.result.status).toBe(504);
      expect(login.result.body.code).toBe('WECHAT_TIMEOUT');
      expect(login.ms).toBeLessThan(2000);
    } finally {
      t.fake.setLatency(0);
    }
  });

  it('answers 502 when WeChat is unreachable, and stays up', async () => {
    t.fake.takeDown();
    try {
      const login = await request(t.url)
        .post('/auth/login')
        .send({ code: t.fake.issueLoginCode(uniqueOpenid()) });
      expect(login.status).toBe(502);
      expect(login.body.code).toBe('WECHAT_UNREACHABLE');
    } finally {
      t.fake.bringUp();
    }
    await request(t.url).get('/health').expect(200);
    await request(t.url)
      .post('/auth/login')
      .send({ code: t.fake.issueLoginCode(uniqueOpenid()) })
      .expect(200);
  });
});

describe('login throttling', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { THROTTLE_LOGIN_LIMIT: '3' } });
  });
  afterAll(() => t.close());

  it('answers 429 with Retry-After past the per-IP limit, and throttles login only', async () => {
    // A client cannot dodge the limit with X-Forwarded-For: no proxy is trusted by default.
    for (let i = 0; i < 3; i += 1) {
      await request(t.url)
        .post('/auth/login')
        .set('X-Forwarded-For', `203.0.113.${i}`)
        .send({ code: t.fake.issueLoginCode(uniqueOpenid()) })
        .expect(200);
    }
    const limited = await request(t.url)
      .post('/auth/login')
      .set('X-Forwarded-For', '203.0.113.99')
      .send({ code: t.fake.issueLoginCode(uniqueOpenid()) })
      .expect(429);
    expect(limited.body).toMatchObject({ statusCode: 429, code: 'TOO_MANY_LOGINS' });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    for (let i = 0; i < 5; i += 1) await request(t.url).get('/health').expect(200);
  });
});
