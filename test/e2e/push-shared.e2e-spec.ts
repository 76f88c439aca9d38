import request from 'supertest';
import { FakeWechatServer } from '../../src/sandbox/fake-wechat.server.js';
import { databaseUrl, describeWithServices, redisUrl } from '../support/backends.js';
import { OwnMariadb, OwnRedis, waitFor } from '../support/service-processes.js';
import { startTestApp, type TestApp, uniqueOpenid } from '../support/test-app.js';
import {
  buildPush,
  nowSeconds,
  popupEvent,
  postPush,
  PUSH_AES_KEY,
  PUSH_TOKEN,
  sentEvent,
  signing,
  uniqueTemplateId,
} from '../support/wechat-push.js';

const SERVICE_TOKEN = 'crm-token-0123456789abcdefghijklmnopqrstuvwxyz';
const SERVICE = `Bearer ${SERVICE_TOKEN}`;
const ENV = { SERVICE_TOKENS: `crm=${SERVICE_TOKEN}`, WECHAT_PUSH_TOKEN: PUSH_TOKEN, WECHAT_PUSH_AES_KEY: PUSH_AES_KEY };

async function subscriptions(app: TestApp, openid: string): Promise<Array<{ templateId: string; status: string; remaining: number }>> {
  const res = await request(app.url).get('/templates/subscriptions').query({ openid }).set('Authorization', SERVICE).expect(200);
  return res.body.items;
}

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await work();
  return { result, ms: performance.now() - started };
}

describeWithServices({ mysql: true, redis: true }, 'message push on two instances sharing MySQL + Redis', () => {
  let fake: FakeWechatServer;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    fake = await FakeWechatServer.start();
    a = await startTestApp({ fake, env: ENV });
    b = await startTestApp({ fake, env: ENV });
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await fake?.close();
  });

  it('one push delivered to both instances at once, several times, is applied once', async () => {
    const openid = uniqueOpenid();
    const templateId = uniqueTemplateId();
    const event = popupEvent(openid, [[templateId, 'accept']]);
    const copies = Array.from({ length: 12 }, (_, i) =>
      buildPush(event, signing(fake.appId, i % 2 ? 'safe' : 'compatible', i % 3 ? 'json' : 'xml')),
    );

    const answers = await Promise.all(copies.map((push, i) => postPush((i % 2 ? a : b).url, push)));

    expect(answers.map((r) => r.status).filter((s) => s !== 200 && s !== 503)).toEqual([]);
    expect(answers.filter((r) => r.status === 200).length).toBeGreaterThan(0);
    expect(await subscriptions(a, openid)).toEqual([expect.objectContaining({ templateId, remaining: 1 })]);
    // WeChat redelivers whatever got a 503: still once, whichever instance it reaches.
    await postPush(b.url, buildPush(event, signing(fake.appId, 'safe', 'json'))).expect(200);
    await postPush(a.url, buildPush(event, signing(fake.appId, 'safe', 'xml'))).expect(200);
    expect(await subscriptions(b, openid)).toEqual([expect.objectContaining({ templateId, remaining: 1 })]);
  });

  it('consent on one instance, the send on the other, its delivery report on the first', async () => {
    const openid = uniqueOpenid();
    const templateId = uniqueTemplateId();
    fake.acceptSubscription(openid, templateId, 1);
    await postPush(a.url, buildPush(popupEvent(openid, [[templateId, 'accept']]), signing(fake.appId, 'safe', 'json'))).expect(200);
    expect(await subscriptions(b, openid)).toEqual([expect.objectContaining({ remaining: 1 })]);

    const sent = await request(b.url)
      .post('/templates/send')
      .set('Authorization', SERVICE)
      .send({ openid, templateId, data: { thing1: { value: 'Hi' } } })
      .expect(200);
    expect(await subscriptions(a, openid)).toEqual([expect.objectContaining({ remaining: 0 })]);

    const msgid = String(sent.body.msgid);
    await postPush(a.url, buildPush(sentEvent(openid, templateId, msgid), signing(fake.appId, 'safe', 'xml'))).expect(200);
    const log = await request(b.url).get('/templates/messages').query({ openid }).set('Authorization', SERVICE).expect(200);
    expect(log.body.items).toEqual([expect.objectContaining({ msgid, delivery: 'delivered', deliveryErrcode: 0 })]);
  });
});

describeWithServices({ mysql: true, redis: true }, 'message push during outages: WeChat retries, nothing lost, nothing twice', () => {
  describe('the database stops', () => {
    let db: OwnMariadb;
    let t: TestApp;
    beforeAll(async () => {
      db = await OwnMariadb.start();
      t = await startTestApp({ env: { ...ENV, DATABASE_URL: db.url, REDIS_URL: redisUrl } });
    });
    afterAll(async () => {
      await t?.close();
      await db?.destroy();
    });

    it('answers non-200 while it is down, and the redelivered push is applied exactly once', async () => {
      const openid = uniqueOpenid();
      const [t1, t2] = [uniqueTemplateId(), uniqueTemplateId()];
      await postPush(
        t.url,
        buildPush(popupEvent(openid, [[t1, 'accept']], nowSeconds() - 10), signing(t.fake.appId, 'safe', 'json')),
      ).expect(200);
      const during = buildPush(
        popupEvent(openid, [
          [t1, 'accept'],
          [t2, 'accept'],
        ]),
        signing(t.fake.appId, 'safe', 'xml'),
      );

      await db.kill();
      const refused = await timed(() => postPush(t.url, during));
      expect(refused.result.status).toBe(503);
      expect(refused.result.body.code).toBe('DATABASE_UNAVAILABLE');
      expect(refused.ms).toBeLessThan(5000);

      await db.resume();
      await waitFor(async () => (await request(t.url).get('/health')).status === 200, 'health after MariaDB returned', 15_000);
      await postPush(t.url, during).expect(200);
      await postPush(t.url, during).expect(200);
      const items = await subscriptions(t, openid);
      expect(Object.fromEntries(items.map((s) => [s.templateId, s.remaining]))).toEqual({ [t1]: 2, [t2]: 1 });
    });
  });

  describe('Redis stops', () => {
    let redis: OwnRedis;
    let t: TestApp;
    beforeAll(async () => {
      redis = await OwnRedis.start();
      t = await startTestApp({ env: { ...ENV, DATABASE_URL: databaseUrl, REDIS_URL: redis.url } });
    });
    afterAll(async () => {
      await t?.close();
      await redis?.kill();
    });

    it('answers 503 without touching the database, and the redelivered push is applied exactly once', async () => {
      const openid = uniqueOpenid();
      const templateId = uniqueTemplateId();
      const push = buildPush(popupEvent(openid, [[templateId, 'accept']]), signing(t.fake.appId, 'compatible', 'json'));

      await redis.kill();
      const refused = await timed(() => postPush(t.url, push));
      expect(refused.result.status).toBe(503);
      expect(refused.result.body.code).toBe('STORE_UNAVAILABLE');
      expect(refused.ms).toBeLessThan(5000);
      expect(await subscriptions(t, openid)).toEqual([]);

      await redis.resume();
      await waitFor(async () => (await request(t.url).get('/health')).status === 200, 'health after Redis returned', 15_000);
      await postPush(t.url, push).expect(200);
      await postPush(t.url, push).expect(200);
      expect(await subscriptions(t, openid)).toEqual([expect.objectContaining({ templateId, remaining: 1 })]);
    });
  });
});
