import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { startTestApp, type TestApp, uniqueOpenid } from '../support/test-app.js';

const SERVICE_TOKEN = 'crm-token-0123456789abcdefghijklmnopqrstuvwxyz';
const SERVICE = `Bearer ${SERVICE_TOKEN}`;
const DIGITS = /^\d+$/;
const TWO_POW_53 = 2n ** 53n;

interface SendBody {
  openid?: string;
  userId?: number;
  templateId: string;
  page?: string;
  data: Record<string, { value: string }>;
  miniprogramState?: string;
  lang?: string;
  formId?: string;
}

interface LogItem {
  id: string;
  openid: string;
  templateId: string;
  page: string | null;
  kind: 'subscribe' | 'legacy';
  status: 'sent' | 'failed';
  errcode: number | null;
  errmsg: string | null;
  msgid: string | null;
  requestedBy: string;
  createdAt: string;
  delivery: 'delivered' | 'failed' | null;
  deliveryErrcode: number | null;
}

interface LogPage {
  items: LogItem[];
  nextCursor: string | null;
}

/** Template ids are global to the fake; one per test keeps tests independent. */
let templateSeq = 0;
function uniqueTemplate(): string {
  templateSeq += 1;
  return `tpl-${Date.now().toString(36)}-${process.pid.toString(36)}-${templateSeq}`;
}

const DATA = { thing1: { value: 'Order shipped' } };

describe('templates: sending and the delivery log', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { SERVICE_TOKENS: `crm=${SERVICE_TOKEN}`, WECHAT_TIMEOUT_MS: '500' } });
  });
  afterAll(() => t.close());
  afterEach(() => {
    // Fault injection a test may have left behind on the shared fake.
    t.fake.allowPages(null);
    t.fake.setLatency(0);
    t.fake.bringUp();
  });

  async function login(openid = uniqueOpenid()) {
    const code = t.fake.issueLoginCode(openid);
    const res = await request(t.url).post('/auth/login').send({ code }).expect(200);
    return { openid, token: `Bearer ${res.body.token as string}`, userId: res.body.user.id as number };
  }

  function send(auth: string, body: SendBody, idempotencyKey?: string) {
    const req = request(t.url).post('/templates/send').set('Authorization', auth);
    return (idempotencyKey === undefined ? req : req.set('Idempotency-Key', idempotencyKey)).send(body);
  }

  async function log(query: Record<string, string | number>): Promise<LogPage> {
    const res = await request(t.url).get('/templates/messages').set('Authorization', SERVICE).query(query).expect(200);
    return res.body as LogPage;
  }

  function received(openid: string) {
    return t.fake.messages.filter((m) => m.touser === openid);
  }

  /** A template the user has accepted `count` times. */
  function subscribed(openid: string, count = 1, keywords?: string[]): string {
    const templateId = uniqueTemplate();
    t.fake.addTemplate(templateId, keywords);
    t.fake.acceptSubscription(openid, templateId, count);
    return templateId;
  }

  describe('recipients', () => {
    it('a user sends to itself: 200, the fake received exactly that message, msgid keeps every digit', async () => {
      const me = await login();
      const templateId = subscribed(me.openid, 2, ['thing1', 'time2']);
      const body = {
        templateId,
        page: 'pages/order/detail?id=42',
        data: { thing1: { value: 'Order shipped' }, time2: { value: '2024-01-01 12:00' } },
        miniprogramState: 'formal',
        lang: 'en_US',
      };

      const res = await send(me.token, body).expect(200);

      const got = received(me.openid);
      expect(got).toEqual([
        {
          kind: 'subscribe',
          touser: me.openid,
          templateId,
          page: 'pages/order/detail?id=42',
          data: body.data,
          miniprogramState: 'formal',
          lang: 'en_US',
          msgid: expect.stringMatching(DIGITS),
          accessToken: expect.any(String),
          at: expect.any(Number),
        },
      ]);
      // The fake's msgid is an int64 above 2^53: only a string can carry it intact.
      expect(BigInt(got[0].msgid) > TWO_POW_53).toBe(true);
      expect(res.body).toEqual({ msgid: got[0].msgid });
      expect(res.text).toContain(`"msgid":"${got[0].msgid}"`);

      // Naming its own openid is the same as omitting it.
      const again = await send(me.token, { ...body, openid: me.openid }).expect(200);
      expect(received(me.openid)).toHaveLength(2);
      expect(again.body.msgid).toBe(received(me.openid)[1].msgid);
    });

    it('a user may not send to another openid or userId: 403, no call to WeChat, no log row', async () => {
      const me = await login();
      const other = await login();
      const templateId = subscribed(other.openid, 5);
      const calls = t.fake.calls('subscribe_send');

      const byOpenid = await send(me.token, { openid: other.openid, templateId, data: DATA }).expect(403);
      expect(byOpenid.body).toMatchObject({ statusCode: 403, code: 'RECIPIENT_FORBIDDEN' });
      const byUserId = await send(me.token, { userId: other.userId, templateId, data: DATA }).expect(403);
      expect(byUserId.body).toMatchObject({ statusCode: 403, code: 'RECIPIENT_FORBIDDEN' });

      expect(t.fake.calls('subscribe_send')).toBe(calls);
      expect(received(other.openid)).toEqual([]);
      expect((await log({ openid: other.openid })).items).toEqual([]);
      expect((await log({ openid: me.openid })).items).toEqual([]);
    });

    it('a service must name the recipient: 400 without, 200 by openid (logged in or not) or userId, 404 for an unknown userId', async () => {
      const stranger = uniqueOpenid(); // never logged in here; WeChat knows them
      const strangerTemplate = subscribed(stranger);
      const member = await login();
      const memberTemplate = subscribed(member.openid);
      const calls = t.fake.calls('subscribe_send');

      const none = await send(SERVICE, { templateId: strangerTemplate, data: DATA }).expect(400);
      expect(none.body).toMatchObject({ statusCode: 400, code: 'RECIPIENT_REQUIRED' });
      const unknown = await send(SERVICE, { userId: 2_000_000_000, templateId: memberTemplate, data: DATA }).expect(404);
      expect(unknown.body).toMatchObject({ statusCode: 404, code: 'USER_NOT_FOUND' });
      const both = await send(SERVICE, { openid: member.openid, userId: member.userId, templateId: memberTemplate, data: DATA }).expect(
        400,
      );
      expect(both.body).toMatchObject({ statusCode: 400, code: 'AMBIGUOUS_RECIPIENT' });
      expect(t.fake.calls('subscribe_send')).toBe(calls);

      const byOpenid = await send(SERVICE, { openid: stranger, templateId: strangerTemplate, data: DATA }).expect(200);
      expect(received(stranger)).toEqual([expect.objectContaining({ kind: 'subscribe', templateId: strangerTemplate, data: DATA })]);
      expect(byOpenid.body).toEqual({ msgid: received(stranger)[0].msgid });

      const byUserId = await send(SERVICE, { userId: member.userId, templateId: memberTemplate, data: DATA }).expect(200);
      expect(received(member.openid)).toEqual([expect.objectContaining({ kind: 'subscribe', templateId: memberTemplate, data: DATA })]);
      expect(byUserId.body).toEqual({ msgid: received(member.openid)[0].msgid });

      const [strangerRow] = (await log({ openid: stranger })).items;
      expect(strangerRow).toMatchObject({ status: 'sent', requestedBy: 'service:crm', msgid: received(stranger)[0].msgid });
      expect((await log({ openid: member.openid })).items).toEqual([
        expect.objectContaining({ status: 'sent', requestedBy: 'service:crm', templateId: memberTemplate }),
      ]);
    });
  });

  describe('WeChat errors', () => {
    type Arrange = (openid: string) => Pick<SendBody, 'templateId'> & Partial<SendBody>;
    const cases: Array<[errcode: number, label: string, status: number, code: string, arrange: Arrange]> = [
      [43101, 'no subscription', 409, 'WECHAT_NOT_SUBSCRIBED', (openid) => ({ templateId: subscribed(openid, 0) })],
      [
        40003,
        'openid unknown to WeChat',
        422,
        'WECHAT_INVALID_ARGUMENT',
        () => {
          const templateId = uniqueTemplate();
          t.fake.addTemplate(templateId);
          return { templateId };
        },
      ],
      [
        40037,
        'unknown template',
        422,
        'WECHAT_INVALID_ARGUMENT',
        (openid) => {
          t.fake.registerUser(openid);
          return { templateId: uniqueTemplate() };
        },
      ],
      [
        41030,
        'page not in the app',
        422,
        'WECHAT_INVALID_ARGUMENT',
        (openid) => {
          t.fake.allowPages(['pages/index/index']);
          return { templateId: subscribed(openid), page: 'pages/gone/gone?x=1' };
        },
      ],
      [
        47003,
        'keyword not in the template',
        422,
        'WECHAT_INVALID_ARGUMENT',
        (openid) => ({
          templateId: subscribed(openid, 1, ['thing1']),
          data: { thing2: { value: 'Not in template' } },
        }),
      ],
      [
        45009,
        'daily quota',
        429,
        'WECHAT_QUOTA_EXCEEDED',
        (openid) => {
          t.fake.failNext('subscribe_send', 45009);
          return { templateId: subscribed(openid) };
        },
      ],
      [
        45011,
        'rate limit',
        429,
        'WECHAT_RATE_LIMITED',
        (openid) => {
          t.fake.failNext('subscribe_send', 45011);
          return { templateId: subscribed(openid) };
        },
      ],
      [
        -1,
        'system busy',
        503,
        'WECHAT_BUSY',
        (openid) => {
          t.fake.failNext('subscribe_send', -1);
          return { templateId: subscribed(openid) };
        },
      ],
    ];

    it.each(cases)(
      'WeChat %i (%s) → %i %s with the errcode in the body, logged as failed',
      async (errcode, _label, status, code, arrange) => {
        const openid = uniqueOpenid();
        const body = { openid, data: DATA, ...arrange(openid) };

        const res = await send(SERVICE, body).expect(status);

        expect(res.body).toEqual({ statusCode: status, code, message: expect.any(String), errcode, errmsg: expect.any(String) });
        expect(received(openid)).toEqual([]);
        expect((await log({ openid })).items).toEqual([
          {
            id: expect.stringMatching(DIGITS),
            openid,
            templateId: body.templateId,
            page: body.page ?? null,
            kind: 'subscribe',
            status: 'failed',
            errcode,
            errmsg: expect.any(String),
            msgid: null,
            requestedBy: 'service:crm',
            batchId: null,
            createdAt: expect.any(String),
            delivery: null,
            deliveryErrcode: null,
          },
        ]);
      },
    );

    it('a WeChat timeout → 504 within the configured limit, logged as failed', async () => {
      const me = await login();
      const templateId = subscribed(me.openid, 2);
      await send(me.token, { templateId, data: DATA }).expect(200); // the access token is now cached
      t.fake.setLatency(1500);

      const started = Date.now();
      const res = await send(me.token, { templateId, data: DATA }).expect(504);

      expect(Date.now() - started).toBeLessThan(1400);
      expect(res.body).toMatchObject({ statusCode: 504, code: 'WECHAT_TIMEOUT' });
      const [row] = (await log({ openid: me.openid })).items;
      expect(row).toMatchObject({ status: 'failed', errcode: null, msgid: null, requestedBy: `user:${me.userId}` });
    });

    it('WeChat unreachable → 502, logged as failed', async () => {
      const me = await login();
      const templateId = subscribed(me.openid, 2);
      await send(me.token, { templateId, data: DATA }).expect(200);
      t.fake.takeDown();

      const res = await send(me.token, { templateId, data: DATA }).expect(502);

      expect(res.body).toMatchObject({ statusCode: 502, code: 'WECHAT_UNREACHABLE' });
      expect(received(me.openid)).toHaveLength(1);
      const [row] = (await log({ openid: me.openid })).items;
      expect(row).toMatchObject({ status: 'failed', errcode: null, msgid: null });
    });

    it.each([
      ['40001 invalidated', () => t.fake.invalidateTokens()],
      ['42001 expired', () => t.fake.expireTokens()],
    ])('a %s access token is replaced and the send retried once, transparently (200, one log row)', async (_label, breakTokens) => {
      const me = await login();
      const templateId = subscribed(me.openid, 2);
      await send(me.token, { templateId, data: DATA }).expect(200);
      breakTokens();
      const sends = t.fake.calls('subscribe_send');
      const tokenFetches = t.fake.calls('stable_token');

      const res = await send(me.token, { templateId, data: DATA }).expect(200);

      expect(t.fake.calls('subscribe_send')).toBe(sends + 2);
      expect(t.fake.calls('stable_token')).toBe(tokenFetches + 1);
      const [first, second] = received(me.openid);
      expect(second.accessToken).not.toBe(first.accessToken);
      expect(res.body).toEqual({ msgid: second.msgid });
      const rows = (await log({ openid: me.openid })).items;
      expect(rows.map((r) => [r.status, r.errcode, r.msgid])).toEqual([
        ['sent', 0, second.msgid],
        ['sent', 0, first.msgid],
      ]);
    });

    it('retries a refused token only once: a second 40001 → 502 WECHAT_TOKEN_REJECTED', async () => {
      const me = await login();
      const templateId = subscribed(me.openid);
      t.fake.failNext('subscribe_send', 40001, 2);
      const sends = t.fake.calls('subscribe_send');

      const res = await send(me.token, { templateId, data: DATA }).expect(502);

      expect(res.body).toMatchObject({ code: 'WECHAT_TOKEN_REJECTED', errcode: 40001 });
      expect(t.fake.calls('subscribe_send')).toBe(sends + 2);
      expect((await log({ openid: me.openid })).items).toEqual([expect.objectContaining({ status: 'failed', errcode: 40001 })]);
    });
  });

  describe('keyword rules', () => {
    it.each([
      ['thing1', 'x'.repeat(21)],
      ['thing1', 'two\nlines'],
      ['phrase2', 'abc'],
      ['phrase2', '已发货ok'],
      ['number3', '12a'],
      ['date4', '2024-13-01'],
      ['time5', '25:00'],
    ])('%s = %j → 400 naming the key, before any call to WeChat', async (key, value) => {
      const me = await login();
      const templateId = subscribed(me.openid, 1);
      const calls = t.fake.calls('subscribe_send');

      const res = await send(me.token, { templateId, data: { [key]: { value } } }).expect(400);

      expect(res.body).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED' });
      expect(res.body.message).toContain(`data.${key}`);
      expect(t.fake.calls('subscribe_send')).toBe(calls);
      expect((await log({ openid: me.openid })).items).toEqual([]);
    });

    it('accepts values at the limits: 20 Chinese characters in thing, a Chinese phrase', async () => {
      const me = await login();
      const templateId = subscribed(me.openid, 1);
      const data = { thing1: { value: '订'.repeat(20) }, phrase2: { value: '已发货' } };

      await send(me.token, { templateId, data }).expect(200);

      expect(received(me.openid)).toEqual([expect.objectContaining({ data })]);
    });
  });

  describe('legacy form_id template messages', () => {
    it('goes to the legacy endpoint without keyword-type rules; a reused form_id → 422 (41029)', async () => {
      const me = await login();
      const templateId = uniqueTemplate();
      t.fake.addTemplate(templateId);
      const formId = t.fake.issueFormId(me.openid);
      const data = { keyword1: { value: 'Any text' }, thing2: { value: 'longer than twenty characters, not typed' } };
      const subscribeCalls = t.fake.calls('subscribe_send');
      const legacyCalls = t.fake.calls('template_send');

      const res = await send(me.token, { templateId, formId, page: 'pages/index/index', data }).expect(200);

      expect(received(me.openid)).toEqual([
        {
          kind: 'legacy',
          touser: me.openid,
          templateId,
          formId,
          page: 'pages/index/index',
          data,
          msgid: expect.stringMatching(DIGITS),
          accessToken: expect.any(String),
          at: expect.any(Number),
        },
      ]);
      expect(res.body).toEqual({ msgid: received(me.openid)[0].msgid });
      expect(t.fake.calls('template_send')).toBe(legacyCalls + 1);
      expect(t.fake.calls('subscribe_send')).toBe(subscribeCalls);

      const reused = await send(me.token, { templateId, formId, data }).expect(422);
      expect(reused.body).toMatchObject({ statusCode: 422, code: 'WECHAT_INVALID_ARGUMENT', errcode: 41029 });
      expect(received(me.openid)).toHaveLength(1);

      const rows = (await log({ openid: me.openid })).items;
      expect(rows.map((r) => [r.kind, r.status, r.errcode, r.msgid])).toEqual([
        ['legacy', 'failed', 41029, null],
        ['legacy', 'sent', 0, received(me.openid)[0].msgid],
      ]);
    });
  });

  describe('Idempotency-Key', () => {
    it('the same key twice sends once and answers the same response, with one log row', async () => {
      const me = await login();
      const templateId = subscribed(me.openid, 5);
      const key = `order-${uniqueOpenid()}`;

      const first = await send(me.token, { templateId, data: DATA }, key).expect(200);
      const second = await send(me.token, { templateId, data: DATA }, key).expect(200);

      expect(received(me.openid)).toHaveLength(1);
      expect(first.body).toEqual({ msgid: received(me.openid)[0].msgid });
      expect(second.body).toEqual(first.body);
      expect((await log({ openid: me.openid })).items).toHaveLength(1);
    });

    it('the same key with a different body → 422 IDEMPOTENCY_KEY_REUSED, nothing sent', async () => {
      const me = await login();
      const templateId = subscribed(me.openid, 5);
      const key = `order-${uniqueOpenid()}`;
      await send(me.token, { templateId, data: DATA }, key).expect(200);

      const res = await send(me.token, { templateId, data: { thing1: { value: 'Other text' } } }, key).expect(422);

      expect(res.body).toMatchObject({ statusCode: 422, code: 'IDEMPOTENCY_KEY_REUSED' });
      expect(received(me.openid)).toHaveLength(1);
      expect((await log({ openid: me.openid })).items).toHaveLength(1);
    });

    it('a first attempt that ended in a 5xx is not kept: the retry with the same key really sends', async () => {
      const me = await login();
      const templateId = subscribed(me.openid, 1);
      const key = `order-${uniqueOpenid()}`;
      t.fake.failNext('subscribe_send', -1);

      await send(me.token, { templateId, data: DATA }, key).expect(503);
      const retry = await send(me.token, { templateId, data: DATA }, key).expect(200);

      expect(received(me.openid)).toHaveLength(1);
      expect(retry.body).toEqual({ msgid: received(me.openid)[0].msgid });
      const rows = (await log({ openid: me.openid })).items;
      expect(rows.map((r) => [r.status, r.errcode])).toEqual([
        ['sent', 0],
        ['failed', -1],
      ]);
    });

    it('a first attempt WeChat rate-limited (429) is not kept either: the retry with the same key really sends', async () => {
      const me = await login();
      const templateId = subscribed(me.openid, 1);
      const key = `order-${uniqueOpenid()}`;
      t.fake.failNext('subscribe_send', 45011);

      await send(me.token, { templateId, data: DATA }, key).expect(429);
      const retry = await send(me.token, { templateId, data: DATA }, key).expect(200);

      expect(received(me.openid)).toHaveLength(1);
      expect(retry.body).toEqual({ msgid: received(me.openid)[0].msgid });
    });

    it('a 4xx outcome is kept: the same key replays it without calling WeChat again', async () => {
      const me = await login();
      const templateId = subscribed(me.openid, 0);
      const key = `order-${uniqueOpenid()}`;
      const first = await send(me.token, { templateId, data: DATA }, key).expect(409);
      t.fake.acceptSubscription(me.openid, templateId, 1);
      const calls = t.fake.calls('subscribe_send');

      const replay = await send(me.token, { templateId, data: DATA }, key).expect(409);

      expect(replay.body).toEqual(first.body);
      expect(first.body).toMatchObject({ code: 'WECHAT_NOT_SUBSCRIBED', errcode: 43101 });
      expect(t.fake.calls('subscribe_send')).toBe(calls);
      expect((await log({ openid: me.openid })).items).toHaveLength(1);
    });

    it('while the first request is in flight the same key → 409 IDEMPOTENCY_KEY_IN_FLIGHT', async () => {
      const me = await login();
      const templateId = subscribed(me.openid, 5);
      await send(me.token, { templateId, data: DATA }).expect(200);
      const key = `order-${uniqueOpenid()}`;
      t.fake.setLatency(250);

      const [a, b] = await Promise.all([send(me.token, { templateId, data: DATA }, key), send(me.token, { templateId, data: DATA }, key)]);

      expect([a.status, b.status].sort()).toEqual([200, 409]);
      expect([a, b].find((r) => r.status === 409)?.body).toMatchObject({ code: 'IDEMPOTENCY_KEY_IN_FLIGHT' });
      expect(received(me.openid)).toHaveLength(2);
    });

    it('keys are per principal: a service reusing a user key with the same body really sends', async () => {
      const me = await login();
      const templateId = subscribed(me.openid, 5);
      const key = `order-${uniqueOpenid()}`;
      const body = { openid: me.openid, templateId, data: DATA };

      await send(me.token, body, key).expect(200);
      await send(SERVICE, body, key).expect(200);

      expect(received(me.openid)).toHaveLength(2);
      expect((await log({ openid: me.openid })).items.map((r) => r.requestedBy)).toEqual(['service:crm', `user:${me.userId}`]);
    });

    it('rejects an empty or over-long key with 400 before sending', async () => {
      const me = await login();
      const templateId = subscribed(me.openid, 5);

      const res = await send(me.token, { templateId, data: DATA }, 'k'.repeat(256)).expect(400);

      expect(res.body).toMatchObject({ code: 'INVALID_IDEMPOTENCY_KEY' });
      expect(received(me.openid)).toEqual([]);
    });
  });

  describe('GET /templates/messages', () => {
    it('refuses a user session with 403', async () => {
      const me = await login();
      const res = await request(t.url).get('/templates/messages').set('Authorization', me.token).query({ openid: me.openid }).expect(403);
      expect(res.body).toEqual({
        statusCode: 403,
        code: 'SERVICE_TOKEN_REQUIRED',
        message: 'Only internal services may read the delivery log',
      });
    });

    it('rejects a bad query with 400', async () => {
      for (const query of [{ status: 'queued' }, { limit: 0 }, { limit: 101 }, { cursor: 'abc' }, { since: 'yesterday' }]) {
        const res = await request(t.url).get('/templates/messages').set('Authorization', SERVICE).query(query).expect(400);
        expect(res.body).toMatchObject({ statusCode: 400 });
      }
    });

    describe('one row per attempt, with filters and pagination', () => {
      let me: Awaited<ReturnType<typeof login>>;
      let templateId: string;
      let before: string;
      let after: string;
      let rows: LogItem[];

      beforeAll(async () => {
        me = await login();
        templateId = subscribed(me.openid, 2);
        const other = uniqueOpenid();
        t.fake.acceptSubscription(other, templateId, 1);
        before = new Date(Date.now() - 1).toISOString();
        const key = `log-${uniqueOpenid()}`;

        await send(me.token, { templateId, page: 'pages/a/a', data: DATA }).expect(200); // r1: sent by the user
        await send(me.token, { openid: other, templateId, data: DATA }).expect(403); // no row
        await send(me.token, { templateId, data: { thing1: { value: 'x'.repeat(21) } } }).expect(400); // no row
        await sleep(15);
        await send(SERVICE, { openid: me.openid, templateId, data: DATA }, key).expect(200); // r2: sent by the service
        await send(SERVICE, { openid: me.openid, templateId, data: DATA }, key).expect(200); // replay: no row
        await sleep(15);
        await send(SERVICE, { openid: me.openid, templateId, data: DATA }).expect(409); // r3: credit used up
        await sleep(15);
        t.fake.failNext('subscribe_send', -1);
        await send(me.token, { templateId, data: DATA }).expect(503); // r4: WeChat busy
        await sleep(15);
        after = new Date(Date.now() + 1).toISOString();

        rows = (await log({ openid: me.openid })).items;
      });

      it('has exactly one row per attempt that reached WeChat, newest first, with who asked and what came back', () => {
        const [m1, m2] = received(me.openid);
        // What every row of this test has alike; each row below adds what tells it apart.
        const row = (own: Partial<LogItem>) => ({
          id: expect.any(String),
          openid: me.openid,
          templateId,
          page: null,
          kind: 'subscribe',
          batchId: null,
          createdAt: expect.any(String),
          delivery: null,
          deliveryErrcode: null,
          ...own,
        });
        expect(rows).toEqual([
          row({ status: 'failed', errcode: -1, errmsg: expect.any(String), msgid: null, requestedBy: `user:${me.userId}` }),
          row({ status: 'failed', errcode: 43101, errmsg: expect.any(String), msgid: null, requestedBy: 'service:crm' }),
          row({ status: 'sent', errcode: 0, errmsg: 'ok', msgid: m2.msgid, requestedBy: 'service:crm' }),
          row({ page: 'pages/a/a', status: 'sent', errcode: 0, errmsg: 'ok', msgid: m1.msgid, requestedBy: `user:${me.userId}` }),
        ]);
        expect(received(me.openid)).toHaveLength(2);
        for (const row of rows) {
          expect(row.id).toMatch(DIGITS);
          expect(new Date(row.createdAt).toISOString()).toBe(row.createdAt);
          expect(row.createdAt >= before && row.createdAt < after).toBe(true);
        }
        const ids = rows.map((r) => BigInt(r.id));
        expect([...ids].sort((a, b) => (a > b ? -1 : 1))).toEqual(ids);
        for (const row of rows.filter((r) => r.status === 'sent')) {
          expect(row.msgid).toMatch(DIGITS);
          expect(BigInt(row.msgid as string) > TWO_POW_53).toBe(true);
        }
      });

      it('filters by status', async () => {
        expect((await log({ openid: me.openid, status: 'sent' })).items.map((r) => r.id)).toEqual([rows[2].id, rows[3].id]);
        expect((await log({ openid: me.openid, status: 'failed' })).items.map((r) => r.id)).toEqual([rows[0].id, rows[1].id]);
      });

      // On SQLite this needs created_at stamped with milliseconds by the app (TemplatesService.record).
      it('filters by since (inclusive) and until (exclusive)', async () => {
        const ids = (page: LogPage) => page.items.map((r) => r.id);
        expect(ids(await log({ openid: me.openid, since: before }))).toEqual(rows.map((r) => r.id));
        expect(ids(await log({ openid: me.openid, until: after }))).toEqual(rows.map((r) => r.id));
        expect(ids(await log({ openid: me.openid, since: after }))).toEqual([]);
        expect(ids(await log({ openid: me.openid, until: before }))).toEqual([]);
        // Row timestamps as boundaries: r2..r4 from r2 on; r1 alone before r2; r2..r3 between r2 and r4.
        const r2 = rows[2].createdAt;
        const r4 = rows[0].createdAt;
        expect(ids(await log({ openid: me.openid, since: r2 }))).toEqual([rows[0].id, rows[1].id, rows[2].id]);
        expect(ids(await log({ openid: me.openid, until: r2 }))).toEqual([rows[3].id]);
        expect(ids(await log({ openid: me.openid, since: r2, until: r4 }))).toEqual([rows[1].id, rows[2].id]);
      });

      it('pages with limit and nextCursor, newest first, without gaps or repeats', async () => {
        const first = await log({ openid: me.openid, limit: 2 });
        expect(first.items.map((r) => r.id)).toEqual([rows[0].id, rows[1].id]);
        expect(first.nextCursor).toEqual(expect.any(String));

        const second = await log({ openid: me.openid, limit: 2, cursor: first.nextCursor as string });
        expect(second.items.map((r) => r.id)).toEqual([rows[2].id, rows[3].id]);
        expect(second.nextCursor).toBeNull();

        const byThree = await log({ openid: me.openid, limit: 3 });
        expect(byThree.items).toHaveLength(3);
        const rest = await log({ openid: me.openid, limit: 3, cursor: byThree.nextCursor as string });
        expect(rest).toEqual({ items: [rows[3]], nextCursor: null });
      });
    });
  });
});
