import request from 'supertest';
import { KeyValueStore } from '../../src/redis/key-value.store.js';
import { AccessTokenService } from '../../src/wechat/access-token.service.js';
import { FakeWechatServer } from '../../src/sandbox/fake-wechat.server.js';
import { describeWithServices } from '../support/backends.js';
import { waitFor } from '../support/service-processes.js';
import { closeTwoApps, startTestApp, startTwoApps, type TestApp, uniqueOpenid } from '../support/test-app.js';

const modes = [
  { mode: 'stable', endpoint: 'stable_token' },
  { mode: 'classic', endpoint: 'token' },
] as const;

describeWithServices({ mysql: true, redis: true }, 'access token shared by two instances', () => {
  describe.each(modes)('$mode endpoint', ({ mode, endpoint }) => {
    let fake: FakeWechatServer;
    let a: TestApp;
    let b: TestApp;
    let userToken: string;
    let openid: string;
    const templateId = `tpl-${mode}-${Date.now()}`;

    beforeAll(async () => {
      ({ fake, a, b } = await startTwoApps({ env: { WECHAT_TOKEN_MODE: mode } }));
      openid = uniqueOpenid();
      fake.addTemplate(templateId);
      fake.acceptSubscription(openid, templateId, 1000);
      const login = await request(a.url)
        .post('/auth/login')
        .send({ code: fake.issueLoginCode(openid) })
        .expect(200);
      userToken = login.body.token;
    });
    afterAll(() => closeTwoApps({ fake, a, b }));

    const send = (app: TestApp) =>
      request(app.url)
        .post('/templates/send')
        .set('Authorization', userToken)
        .send({ templateId, data: { thing1: { value: 'hello' } } });

    async function sendMany(count: number) {
      const responses = await Promise.all(Array.from({ length: count }, (_, i) => send(i % 2 === 0 ? a : b)));
      return responses.map((r) => r.status);
    }

    it('makes exactly one token fetch for 100 concurrent sends over both instances right after start', async () => {
      fake.resetCalls();
      const statuses = await sendMany(100);
      expect(statuses).toEqual(Array(100).fill(200));
      expect(fake.calls(endpoint)).toBe(1);
      expect(fake.calls('subscribe_send')).toBe(100);
    });

    it('heals from an invalidated token with exactly one more fetch, transparently to the senders', async () => {
      fake.invalidateTokens();
      fake.resetCalls();
      const statuses = await sendMany(20);
      expect(statuses).toEqual(Array(20).fill(200));
      expect(fake.calls(endpoint)).toBe(1);
    });

    it('refreshes near expiry on schedule with one fetch for both instances, and sends in flight never fail', async () => {
      const store = a.app.get(KeyValueStore);
      const key = `wechat:access-token:{${fake.appId}}`;
      const stored = JSON.parse((await store.get(key)) as string);
      await store.set(key, JSON.stringify({ ...stored, expiresAt: Date.now() + 100_000 }), 100_000);
      fake.resetCalls();
      const [statuses] = await Promise.all([
        sendMany(30),
        a.app.get(AccessTokenService).refreshIfDue(),
        b.app.get(AccessTokenService).refreshIfDue(),
      ]);
      expect(statuses).toEqual(Array(30).fill(200));
      expect(fake.calls(endpoint)).toBe(1);
      expect(fake.calls('subscribe_send')).toBe(30);
      const refreshed = JSON.parse((await store.get(key)) as string);
      if (mode === 'classic') {
        // Every /cgi-bin/token call mints a token with its whole lifetime.
        expect(refreshed.expiresAt - refreshed.fetchedAt).toBe(7_200_000);
      } else {
        // stable_token hands back the same token with its true remaining lifetime, in whole seconds.
        expect(refreshed.token).toBe(stored.token);
        expect(Math.abs(refreshed.expiresAt - stored.expiresAt)).toBeLessThan(1000);
      }
    });

    it('keeps the current token when a scheduled refresh fails and reports the error in /health', async () => {
      const store = a.app.get(KeyValueStore);
      const key = `wechat:access-token:{${fake.appId}}`;
      const stored = JSON.parse((await store.get(key)) as string);
      await store.set(key, JSON.stringify({ ...stored, expiresAt: Date.now() + 200_000 }), 200_000);
      fake.failNext(endpoint, -1, 2);
      await a.app.get(AccessTokenService).refreshIfDue();
      expect(JSON.parse((await store.get(key)) as string).token).toBe(stored.token);
      const health = await request(a.url).get('/health').expect(200);
      expect(health.body.info.wechatAccessToken).toMatchObject({ present: true, lastError: { errcode: -1, at: expect.any(String) } });
      // WeChat's errmsg goes to the log only.
      expect(health.body.info.wechatAccessToken.lastError).toEqual({ errcode: -1, at: expect.any(String) });
      expect(JSON.stringify(health.body)).not.toMatch(/system error|rid:/);
      expect(JSON.stringify(health.body)).not.toContain(stored.token);
      const statuses = await sendMany(4);
      expect(statuses).toEqual([200, 200, 200, 200]);
    });
  });
});

describeWithServices({ redis: true }, 'access token lock ownership', () => {
  let fake: FakeWechatServer;
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    // classic: every fetch mints a different token, so whose token is stored is visible.
    ({ fake, a, b } = await startTwoApps({ env: { WECHAT_TOKEN_MODE: 'classic' } }));
    // The test reads the store at once; on a Redis Cluster a start-up command that missed its deadline
    // makes the connection fail fast until a probe answers, so wait until both stores answer.
    for (const t of [a, b])
      await waitFor(
        () =>
          t.app
            .get(KeyValueStore)
            .ping()
            .then(() => true),
        'the store',
        10_000,
      );
  });
  afterAll(() => closeTwoApps({ fake, a, b }));

  it('a holder whose lock expired while it fetched does not overwrite the token the next holder stored', async () => {
    const store = a.app.get(KeyValueStore);
    const key = `wechat:access-token:{${fake.appId}}`;
    fake.setLatency(1500);
    const slow = a.app.get(AccessTokenService).get();
    await waitFor(async () => fake.calls('token') === 1, 'the first fetch', 5000);
    // The first holder's lock runs out while WeChat is still answering it.
    await store.delete(`${key}:lock`);
    fake.setLatency(0);
    const fresh = await b.app.get(AccessTokenService).get();
    expect(JSON.parse((await store.get(key)) as string).token).toBe(fresh);

    const late = await slow;
    expect(fake.calls('token')).toBe(2);
    expect(JSON.parse((await store.get(key)) as string).token).toBe(fresh);
    expect(late).toBe(fresh);
  });
});

describe('access token on embedded defaults (in-process lock)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { REDIS_URL: undefined, REDIS_CLUSTER_NODES: undefined } });
  });
  afterAll(() => t.close());

  it('makes one fetch for 50 concurrent callers', async () => {
    const tokens = await Promise.all(Array.from({ length: 50 }, () => t.app.get(AccessTokenService).get()));
    expect(new Set(tokens).size).toBe(1);
    expect(t.fake.calls('stable_token')).toBe(1);
  });
});
