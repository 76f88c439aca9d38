import request from 'supertest';
import { FakeWechatServer } from '../../src/sandbox/fake-wechat.server.js';
import type { WechatEndpoint } from '../../src/wechat/wechat-endpoint.js';
import { WECHAT_ENDPOINT } from '../../src/wechat/wechat.constants.js';
import { waitFor } from '../support/service-processes.js';
import { startTestApp, type TestApp, uniqueOpenid } from '../support/test-app.js';
import { buildPush, popupEvent, postPush, PUSH_AES_KEY, PUSH_TOKEN, sentEvent, signing, uniqueTemplateId } from '../support/wechat-push.js';

const SERVICE_TOKEN = 'crm-token-0123456789abcdefghijklmnopqrstuvwxyz';
const SERVICE = `Bearer ${SERVICE_TOKEN}`;
const DATA = { thing1: { value: 'Order shipped' } };
const TWO_POW_53 = 2n ** 53n;

interface LogItem {
  msgid: string | null;
  status: string;
  delivery: 'delivered' | 'failed' | null;
  deliveryErrcode: number | null;
}

describe('subscription credits, sends and delivery reports', () => {
  let fake: FakeWechatServer;
  let t: TestApp;

  beforeAll(async () => {
    // Reports pushed at once, as they may overtake the send's message_log row: the callback waits for it.
    fake = await FakeWechatServer.start({ sentEventDelayMs: 0 });
    t = await startTestApp({
      fake,
      env: { SERVICE_TOKENS: `crm=${SERVICE_TOKEN}`, WECHAT_PUSH_TOKEN: PUSH_TOKEN, WECHAT_PUSH_AES_KEY: PUSH_AES_KEY },
    });
  });
  beforeEach(() => {
    fake.setPushTarget({ url: `${t.url}/wechat/push`, token: PUSH_TOKEN, aesKey: PUSH_AES_KEY, mode: 'safe', format: 'json' });
    fake.setDeliveryResult(0);
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  async function login(openid = uniqueOpenid()) {
    const res = await request(t.url)
      .post('/auth/login')
      .send({ code: fake.issueLoginCode(openid) })
      .expect(200);
    return { openid, token: `Bearer ${res.body.token as string}` };
  }

  async function remaining(openid: string, templateId: string): Promise<number | undefined> {
    const res = await request(t.url).get('/templates/subscriptions').query({ openid }).set('Authorization', SERVICE).expect(200);
    return (res.body.items as Array<{ templateId: string; remaining: number }>).find((s) => s.templateId === templateId)?.remaining;
  }

  function send(auth: string, body: Record<string, unknown>) {
    return request(t.url)
      .post('/templates/send')
      .set('Authorization', auth)
      .send({ data: DATA, ...body });
  }

  async function logOf(openid: string): Promise<LogItem[]> {
    const res = await request(t.url).get('/templates/messages').query({ openid }).set('Authorization', SERVICE).expect(200);
    return res.body.items as LogItem[];
  }

  async function deliveryOf(openid: string, msgid: string): Promise<LogItem> {
    let row: LogItem | undefined;
    await waitFor(
      async () => {
        row = (await logOf(openid)).find((r) => r.msgid === msgid);
        return row?.delivery != null;
      },
      `the delivery report of ${msgid}`,
      5000,
    );
    return row as LogItem;
  }

  it('consent → send → delivery: each accept one credit, each 200 send uses one, never below 0', async () => {
    const me = await login();
    const templateId = uniqueTemplateId();
    fake.addTemplate(templateId);

    expect((await fake.pushPopupEvent(me.openid, templateId)).status).toBe(200);
    expect((await fake.pushPopupEvent(me.openid, templateId)).status).toBe(200);
    const mine = await request(t.url).get('/users/me/subscriptions').set('Authorization', me.token).expect(200);
    expect(mine.body.items).toEqual([{ templateId, status: 'accept', remaining: 2, updatedAt: expect.any(String) }]);

    const first = await send(me.token, { templateId }).expect(200);
    expect(await remaining(me.openid, templateId)).toBe(1);
    const msgid = String(first.body.msgid);
    expect(await deliveryOf(me.openid, msgid)).toMatchObject({ status: 'sent', delivery: 'delivered', deliveryErrcode: 0 });

    await send(me.token, { templateId }).expect(200);
    expect(await remaining(me.openid, templateId)).toBe(0);
    const refused = await send(me.token, { templateId }).expect(409);
    expect(refused.body.code).toBe('WECHAT_NOT_SUBSCRIBED');
    expect(await remaining(me.openid, templateId)).toBe(0);
  });

  it('sends that finish together each use one credit and each leave a row, the same user twice included', async () => {
    const templateId = uniqueTemplateId();
    fake.addTemplate(templateId);
    const [twice, once, other] = [await login(), await login(), await login()];
    for (let i = 0; i < 3; i++) expect((await fake.pushPopupEvent(twice.openid, templateId)).status).toBe(200);
    for (const user of [once, other]) expect((await fake.pushPopupEvent(user.openid, templateId)).status).toBe(200);

    // WeChat answers all four at the same moment, so their rows and credits are written together.
    fake.setLatency(100);
    const sends = [twice, once, twice, other].map((user) => send(user.token, { templateId }));
    const answers = await Promise.all(sends).finally(() => fake.setLatency(0));
    expect(answers.map((res) => res.status)).toEqual([200, 200, 200, 200]);

    expect([
      await remaining(twice.openid, templateId),
      await remaining(once.openid, templateId),
      await remaining(other.openid, templateId),
    ]).toEqual([1, 0, 0]);
    const msgids = (user: { openid: string }) => logOf(user.openid).then((rows) => rows.map((row) => row.msgid).sort());
    expect(await msgids(twice)).toEqual([String(answers[0].body.msgid), String(answers[2].body.msgid)].sort());
    expect(await msgids(once)).toEqual([String(answers[1].body.msgid)]);
    expect(await msgids(other)).toEqual([String(answers[3].body.msgid)]);
  });

  it('a 43101 answer sets the credits we counted to 0', async () => {
    const openid = uniqueOpenid();
    const templateId = uniqueTemplateId();
    fake.addTemplate(templateId);
    fake.registerUser(openid);
    // Three accepts reach us, but WeChat holds no credit (it is the authority).
    for (const second of [3, 2, 1]) {
      await postPush(
        t.url,
        buildPush(
          popupEvent(openid, [[templateId, 'accept']], Math.floor(Date.now() / 1000) - second),
          signing(fake.appId, 'safe', 'json'),
        ),
      ).expect(200);
    }
    expect(await remaining(openid, templateId)).toBe(3);

    await send(SERVICE, { openid, templateId }).expect(409);

    expect(await remaining(openid, templateId)).toBe(0);
  });

  it('a send for a template we never saw consented creates no subscription', async () => {
    const openid = uniqueOpenid();
    const templateId = uniqueTemplateId();
    fake.acceptSubscription(openid, templateId, 1);
    await send(SERVICE, { openid, templateId }).expect(200);
    expect(await remaining(openid, templateId)).toBeUndefined();
  });

  it('a failed delivery is recorded with its ErrorCode', async () => {
    const openid = uniqueOpenid();
    const templateId = uniqueTemplateId();
    fake.acceptSubscription(openid, templateId, 1);
    fake.setDeliveryResult(20004, 'user refused');
    const res = await send(SERVICE, { openid, templateId }).expect(200);
    expect(await deliveryOf(openid, String(res.body.msgid))).toMatchObject({ delivery: 'failed', deliveryErrcode: 20004 });
  });

  it('sent events are matched by the full int64 msgid, never by a neighbour that rounds to the same double', async () => {
    const openid = uniqueOpenid();
    const templateId = uniqueTemplateId();
    fake.acceptSubscription(openid, templateId, 1);
    fake.setPushTarget(null); // this test reports delivery itself
    const res = await send(SERVICE, { openid, templateId }).expect(200);
    const msgid = String(res.body.msgid);
    expect(BigInt(msgid) > TWO_POW_53).toBe(true);
    const neighbour = [BigInt(msgid) - 2n, BigInt(msgid) + 2n].map(String).find((n) => Number(n) === Number(msgid));
    if (neighbour === undefined) throw new Error(`no neighbour of ${msgid} shares its double`);

    // JSON: MsgID is a bare number in the (encrypted) body.
    await postPush(t.url, buildPush(sentEvent(openid, templateId, neighbour), signing(fake.appId, 'safe', 'json'))).expect(200);
    expect((await logOf(openid)).find((r) => r.msgid === msgid)).toMatchObject({ delivery: null, deliveryErrcode: null });

    await postPush(t.url, buildPush(sentEvent(openid, templateId, msgid, 20004), signing(fake.appId, 'safe', 'xml'))).expect(200);
    expect((await logOf(openid)).find((r) => r.msgid === msgid)).toMatchObject({ delivery: 'failed', deliveryErrcode: 20004 });
    await postPush(t.url, buildPush(sentEvent(openid, templateId, msgid, 0), signing(fake.appId, 'compatible', 'json'))).expect(200);
    expect((await logOf(openid)).find((r) => r.msgid === msgid)).toMatchObject({ delivery: 'delivered', deliveryErrcode: 0 });
  });

  it('a sent event for a msgid we never sent is acknowledged and changes nothing', async () => {
    const openid = uniqueOpenid();
    const res = await postPush(
      t.url,
      buildPush(sentEvent(openid, uniqueTemplateId(), '9223372036854775807'), signing(fake.appId, 'safe', 'xml')),
    ).expect(200);
    expect(res.text).toBe('success');
    expect(await logOf(openid)).toEqual([]);
  });
});

describe('sandbox mode: the built-in fake pushes to the app itself', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({
      env: {
        WECHAT_APP_ID: undefined,
        WECHAT_APP_SECRET: undefined,
        WECHAT_API_BASE_URL: undefined,
        WECHAT_SANDBOX: 'true',
        SERVICE_TOKENS: `crm=${SERVICE_TOKEN}`,
      },
    });
  });
  afterAll(() => t?.close());

  it("POST /sandbox/subscribe (or the fake's own) → popup accept at /wechat/push → send → delivered", async () => {
    const sandbox = t.app.get<WechatEndpoint>(WECHAT_ENDPOINT).sandbox;
    if (!sandbox) throw new Error('the app did not start in sandbox mode');
    const login = await request(t.url)
      .post('/auth/login')
      .send({ code: `sandbox-${uniqueOpenid()}` })
      .expect(200);
    const openid = login.body.user.openid as string;
    const token = `Bearer ${login.body.token as string}`;
    const templateId = uniqueTemplateId();

    const pressed = await request(t.url).post('/sandbox/subscribe').set('Authorization', token).send({ templateId }).expect(200);
    expect(pressed.body).toEqual({ status: 'accept', callback: { status: 200, body: 'success' } });
    const viaFake = await request(sandbox.baseUrl).post('/sandbox/subscribe').send({ openid, templateId }).expect(200);
    expect(viaFake.body).toEqual({ errcode: 0, errmsg: 'ok', callback: { status: 200, body: 'success' } });
    const before = await request(t.url).get('/users/me/subscriptions').set('Authorization', token).expect(200);
    expect(before.body.items).toEqual([{ templateId, status: 'accept', remaining: 2, updatedAt: expect.any(String) }]);

    const sent = await request(t.url).post('/templates/send').set('Authorization', token).send({ templateId, data: DATA }).expect(200);
    const after = await request(t.url).get('/users/me/subscriptions').set('Authorization', token).expect(200);
    expect(after.body.items).toEqual([expect.objectContaining({ templateId, remaining: 1 })]);

    let row: LogItem | undefined;
    await waitFor(
      async () => {
        const res = await request(t.url).get('/templates/messages').query({ openid }).set('Authorization', SERVICE).expect(200);
        row = (res.body.items as LogItem[]).find((r) => r.msgid === String(sent.body.msgid));
        return row?.delivery === 'delivered';
      },
      'the sandbox delivery report',
      5000,
    );
    expect(row).toMatchObject({ delivery: 'delivered', deliveryErrcode: 0 });

    const rejected = await request(t.url)
      .post('/sandbox/subscribe')
      .set('Authorization', token)
      .send({ templateId, status: 'reject' })
      .expect(200);
    expect(rejected.body.callback.status).toBe(200);
    expect((await request(t.url).get('/users/me/subscriptions').set('Authorization', token).expect(200)).body.items).toEqual([
      expect.objectContaining({ templateId, status: 'reject', remaining: 1 }),
    ]);
    await request(t.url).post('/sandbox/subscribe').set('Authorization', SERVICE).send({ templateId }).expect(403);
    await request(t.url).post('/sandbox/subscribe').set('Authorization', token).send({ templateId: 'no spaces allowed' }).expect(400);
    const bad = await request(sandbox.baseUrl).post('/sandbox/subscribe').send({ openid }).expect(200);
    expect(bad.body.errcode).toBe(47001);
  });
});
