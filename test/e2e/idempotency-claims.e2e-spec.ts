import request from 'supertest';
import { type HeldClaim, IdempotencyStore } from '../../src/templates/idempotency.store.js';
import { describeWithServices } from '../support/backends.js';
import { OwnMariadb, OwnRedis, waitFor } from '../support/service-processes.js';
import { type TestApp, uniqueOpenid } from '../support/test-app.js';
import { appOnOwnMariadb, appOnOwnRedis, closeAppAndOwnServer } from '../support/own-services.js';

const templateId = 'tpl-claims';
const body = { templateId, data: { thing1: { value: 'hello' } } };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function loggedInUser(t: TestApp) {
  const openid = uniqueOpenid();
  t.fake.addTemplate(templateId);
  t.fake.acceptSubscription(openid, templateId, 10);
  const login = await request(t.url)
    .post('/auth/login')
    .send({ code: t.fake.issueLoginCode(openid) })
    .expect(200);
  return { openid, token: login.body.token as string };
}

const sendWithKey = (t: TestApp, token: string, key: string) =>
  request(t.url).post('/templates/send').set('Authorization', token).set('Idempotency-Key', key).send(body);

describeWithServices({ mysql: true, redis: true }, 'Idempotency-Key claims last as long as the work they guard', () => {
  describe('the first request stuck on a paused database', () => {
    let db: OwnMariadb;
    let t: TestApp;
    // A short WeChat timeout made the old fixed claim short too (20 s).
    beforeAll(async () => ({ t, db } = await appOnOwnMariadb({ WECHAT_TIMEOUT_MS: '500' })));
    afterAll(() => closeAppAndOwnServer(t, db));

    it('never lets a retry with the same key send again, however long the first one may still work', async () => {
      const user = await loggedInUser(t);
      await request(t.url).post('/templates/send').set('Authorization', user.token).send(body).expect(200);
      const key = `claim-${user.openid}`;
      db.pause();
      const answers: Array<{ status: number; msgid: unknown }> = [];
      let first: Promise<request.Response> | undefined;
      try {
        first = sendWithKey(t, user.token, key).then((res) => res);
        // Retries every 2 s for longer than the old 20 s claim.
        for (let elapsed = 0; elapsed < 24_000; elapsed += 2000) {
          await sleep(2000);
          const retry = await sendWithKey(t, user.token, key);
          answers.push({ status: retry.status, msgid: retry.body.msgid });
        }
      } finally {
        db.unpause();
      }
      const firstAnswer = await first;
      answers.push({ status: firstAnswer.status, msgid: firstAnswer.body.msgid });
      await sleep(2000);
      expect(t.fake.messages.filter((m) => m.touser === user.openid)).toHaveLength(2);
      const sent = answers.filter((a) => a.status === 200);
      expect(answers.every((a) => a.status === 200 || a.status === 409)).toBe(true);
      expect(new Set(sent.map((a) => String(a.msgid))).size).toBe(1);
    }, 60_000);
  });

  describe('the store paused when the outcome is recorded', () => {
    let redis: OwnRedis;
    let t: TestApp;
    beforeAll(async () => ({ t, redis } = await appOnOwnRedis()));
    afterAll(() => closeAppAndOwnServer(t, redis));

    it('records the outcome once the store answers again, so the retry replays instead of sending', async () => {
      const user = await loggedInUser(t);
      await request(t.url).post('/templates/send').set('Authorization', user.token).send(body).expect(200);
      const key = `complete-${user.openid}`;
      t.fake.setLatency(1500);
      let first: request.Response;
      try {
        t.fake.resetCalls();
        const pending = sendWithKey(t, user.token, key).then((res) => res);
        // Paused while WeChat is answering: the claim is taken, the outcome not yet recorded.
        await waitFor(async () => t.fake.calls('subscribe_send') === 1, 'the send at WeChat', 5000);
        redis.pause();
        first = await pending;
        await sleep(3000);
      } finally {
        redis.unpause();
        t.fake.setLatency(0);
      }
      expect(first.body).toMatchObject({ msgid: expect.anything() });
      expect(first.status).toBe(200);
      await sleep(2000);
      const retry = await sendWithKey(t, user.token, key);
      expect(retry.status).toBe(200);
      expect(retry.body.msgid).toEqual(first.body.msgid);
      expect(t.fake.messages.filter((m) => m.touser === user.openid)).toHaveLength(2);
    }, 60_000);

    it('renews the claim while the request works, and frees it soon after the renewals stop (a crash)', async () => {
      await waitFor(async () => (await request(t.url).get('/health')).status === 200, 'Redis answering', 10_000);
      const store = t.app.get(IdempotencyStore);
      const working = `lease-${Date.now()}`;
      const claim = (await store.claim('test', working, { a: 1 }, 600)) as HeldClaim;
      expect(claim.kind).toBe('claimed');
      await sleep(2000);
      await expect(store.claim('test', working, { a: 1 }, 600)).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_IN_FLIGHT' });
      await store.complete(claim, { status: 200, body: { msgid: 1 } });
      await expect(store.claim('test', working, { a: 1 }, 600)).resolves.toEqual({
        kind: 'replay',
        outcome: { status: 200, body: { msgid: 1 } },
      });

      const crashed = `crashed-${Date.now()}`;
      const abandoned = (await store.claim('test', crashed, { a: 1 }, 600)) as HeldClaim;
      abandoned.renewal.stop();
      await sleep(900);
      const next = (await store.claim('test', crashed, { a: 1 }, 600)) as HeldClaim;
      expect(next.kind).toBe('claimed');
      await store.release(next);
    });
  });
});
