import request from 'supertest';
import { describeWithServices } from '../support/backends.js';
import { OwnMariadb, OwnRedis, waitFor } from '../support/service-processes.js';
import { type TestApp, uniqueOpenid } from '../support/test-app.js';
import { appOnOwnMariadb, appOnOwnRedis, closeAppAndOwnServer } from '../support/own-services.js';

const SERVICE_TOKEN = 'o'.repeat(40);

interface Answer {
  status: number;
  code: unknown;
  ms: number;
}

/** `count` requests, one every `spacingMs` (not waiting for each other), each timed from its own start. */
async function steadyTraffic(count: number, spacingMs: number, send: (i: number) => request.Test): Promise<Answer[]> {
  const answers: Promise<Answer>[] = [];
  for (let i = 0; i < count; i += 1) {
    const started = Date.now();
    answers.push(send(i).then((res) => ({ status: res.status, code: res.body?.code, ms: Date.now() - started })));
    await new Promise((resolve) => setTimeout(resolve, spacingMs));
  }
  return Promise.all(answers);
}

async function timedHealth(url: string) {
  const started = Date.now();
  const res = await request(url).get('/health');
  return { res, ms: Date.now() - started };
}

const report = (what: string, answers: Answer[]) =>
  // Measured times for the record (the issue's closing note asks for them).
  process.stdout.write(`${what}: ${answers.map((a) => `${a.status}/${a.ms}ms`).join(' ')}\n`);

describeWithServices({ mysql: true, redis: true }, 'stalled (paused, connection open) dependencies', () => {
  describe('Redis paused with SIGSTOP', () => {
    let redis: OwnRedis;
    let t: TestApp;
    beforeAll(async () => ({ t, redis } = await appOnOwnRedis()));
    afterAll(() => closeAppAndOwnServer(t, redis));

    it('answers every guarded request 503 STORE_UNAVAILABLE within 3 s while traffic keeps coming, /health 503 within 3 s, and recovers after SIGCONT', async () => {
      const login = await request(t.url)
        .post('/auth/login')
        .send({ code: t.fake.issueLoginCode(uniqueOpenid()) })
        .expect(200);
      redis.pause();
      try {
        const answers = await steadyTraffic(16, 500, () => request(t.url).get('/users/me').set('Authorization', login.body.token));
        report('Redis paused, GET /users/me', answers);
        for (const answer of answers) {
          expect(answer).toMatchObject({ status: 503, code: 'STORE_UNAVAILABLE' });
          expect(answer.ms).toBeLessThan(3000);
        }
        const logins = await steadyTraffic(4, 500, () =>
          request(t.url)
            .post('/auth/login')
            .send({ code: t.fake.issueLoginCode(uniqueOpenid()) }),
        );
        report('Redis paused, POST /auth/login', logins);
        for (const answer of logins) {
          expect(answer).toMatchObject({ status: 503, code: 'STORE_UNAVAILABLE' });
          expect(answer.ms).toBeLessThan(3000);
        }
        const health = await timedHealth(t.url);
        process.stdout.write(`Redis paused, GET /health: ${health.res.status}/${health.ms}ms\n`);
        expect(health.res.status).toBe(503);
        expect(health.res.body.error.redis).toEqual({ status: 'down', kind: 'redis' });
        expect(health.ms).toBeLessThan(3000);
      } finally {
        redis.unpause();
      }
      await waitFor(async () => (await request(t.url).get('/health')).status === 200, 'health after SIGCONT', 15_000);
      await request(t.url).get('/users/me').set('Authorization', login.body.token).expect(200);
      await request(t.url)
        .post('/auth/login')
        .send({ code: t.fake.issueLoginCode(uniqueOpenid()) })
        .expect(200);
    }, 60_000);
  });

  describe('MariaDB paused with SIGSTOP', () => {
    let db: OwnMariadb;
    let t: TestApp;
    beforeAll(async () => ({ t, db } = await appOnOwnMariadb({ SERVICE_TOKENS: `ops=${SERVICE_TOKEN}` })));
    afterAll(() => closeAppAndOwnServer(t, db));

    it('answers first-time logins and database reads 503 DATABASE_UNAVAILABLE within 3 s while traffic keeps coming, /health 503 within 3 s, and recovers after SIGCONT', async () => {
      const before = await request(t.url)
        .post('/auth/login')
        .send({ code: t.fake.issueLoginCode(uniqueOpenid()) })
        .expect(200);
      db.pause();
      try {
        const logins = await steadyTraffic(12, 500, () =>
          request(t.url)
            .post('/auth/login')
            .send({ code: t.fake.issueLoginCode(uniqueOpenid()) }),
        );
        report('MariaDB paused, first-time POST /auth/login', logins);
        // GET /users/me answers from the session (no database read); the delivery log is read from the database.
        const reads = await steadyTraffic(4, 500, () => request(t.url).get('/templates/messages').set('Authorization', SERVICE_TOKEN));
        report('MariaDB paused, GET /templates/messages', reads);
        for (const answer of [...logins, ...reads]) {
          expect(answer).toMatchObject({ status: 503, code: 'DATABASE_UNAVAILABLE' });
          expect(answer.ms).toBeLessThan(3000);
        }
        const health = await timedHealth(t.url);
        process.stdout.write(`MariaDB paused, GET /health: ${health.res.status}/${health.ms}ms\n`);
        expect(health.res.status).toBe(503);
        expect(health.res.body.error.database).toEqual({ status: 'down' });
        expect(health.ms).toBeLessThan(3000);
      } finally {
        db.unpause();
      }
      await waitFor(async () => (await request(t.url).get('/health')).status === 200, 'health after SIGCONT', 15_000);
      await request(t.url)
        .post('/auth/login')
        .send({ code: t.fake.issueLoginCode(uniqueOpenid()) })
        .expect(200);
      await request(t.url).get('/users/me').set('Authorization', before.body.token).expect(200);
      await request(t.url).get('/templates/messages').set('Authorization', SERVICE_TOKEN).expect(200);
    }, 90_000);
  });
});
