import request from 'supertest';
import { FakeWechatServer } from '../../src/sandbox/fake-wechat.server.js';
import { startTestApp, type TestApp, uniqueOpenid } from '../support/test-app.js';
import {
  buildPush,
  changeEvent,
  MODES_AND_FORMATS,
  nowSeconds,
  popupEvent,
  postPush,
  postPushRaw,
  PUSH_AES_KEY,
  PUSH_TOKEN,
  signing,
  uniqueTemplateId,
} from '../support/wechat-push.js';

const SERVICE_TOKEN = 'crm-token-0123456789abcdefghijklmnopqrstuvwxyz';
const SERVICE = `Bearer ${SERVICE_TOKEN}`;

interface SubscriptionItem {
  templateId: string;
  status: string;
  remaining: number;
  updatedAt: string;
}

describe('message push callback: verification, modes and formats, events', () => {
  let fake: FakeWechatServer;
  let plain: TestApp; // plaintext mode: token only
  let aes: TestApp; // compatible/safe mode: token and EncodingAESKey
  let bare: TestApp; // no WECHAT_PUSH_TOKEN

  beforeAll(async () => {
    fake = await FakeWechatServer.start();
    const env = { SERVICE_TOKENS: `crm=${SERVICE_TOKEN}` };
    [plain, aes, bare] = await Promise.all([
      startTestApp({ fake, env: { ...env, WECHAT_PUSH_TOKEN: PUSH_TOKEN } }),
      startTestApp({ fake, env: { ...env, WECHAT_PUSH_TOKEN: PUSH_TOKEN, WECHAT_PUSH_AES_KEY: PUSH_AES_KEY } }),
      startTestApp({ fake, env }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([plain?.close(), aes?.close(), bare?.close()]);
    await fake?.close();
  });

  async function subscriptions(openid: string, app: TestApp = plain): Promise<SubscriptionItem[]> {
    const res = await request(app.url).get('/templates/subscriptions').query({ openid }).set('Authorization', SERVICE).expect(200);
    return res.body.items as SubscriptionItem[];
  }

  describe('URL verification (GET)', () => {
    const example = { signature: 'f464b24fc39322e44b38aa78f5edd27bd1441696', timestamp: '1714036504', nonce: '1514711492' };

    it('echoes echostr as plain text for the worked example of wechat-api.md §7 (token AAAAA)', async () => {
      const res = await request(plain.url)
        .get('/wechat/push')
        .query({ ...example, echostr: '7355608-echo' })
        .expect(200);
      expect(res.text).toBe('7355608-echo');
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
    });

    it.each([
      ['a wrong signature', { ...example, signature: 'f464b24fc39322e44b38aa78f5edd27bd1441697' }],
      ['another nonce', { ...example, nonce: '1514711493' }],
      ['another timestamp', { ...example, timestamp: '1714036505' }],
      ['no signature', { timestamp: example.timestamp, nonce: example.nonce }],
      ['a repeated signature', { ...example, signature: [example.signature, example.signature] }],
    ])('with %s → 401 and nothing echoed', async (_label, query) => {
      const res = await request(plain.url)
        .get('/wechat/push')
        .query({ ...query, echostr: 'secret-echo' })
        .expect(401);
      expect(res.body).toEqual({ statusCode: 401, code: 'PUSH_SIGNATURE_INVALID', message: expect.any(String) });
      expect(res.text).not.toContain('secret-echo');
    });

    it('without WECHAT_PUSH_TOKEN the callback answers 404 (GET and POST)', async () => {
      await request(bare.url)
        .get('/wechat/push')
        .query({ ...example, echostr: 'x' })
        .expect(404);
      const push = buildPush(popupEvent(uniqueOpenid(), [[uniqueTemplateId(), 'accept']]), signing(fake.appId));
      const res = await postPush(bare.url, push).expect(404);
      expect(res.body.code).toBe('PUSH_NOT_CONFIGURED');
    });
  });

  describe('modes × formats', () => {
    it.each(MODES_AND_FORMATS)('%s mode, %s: a popup accept → 200 "success", the subscription has one credit', async (mode, format) => {
      const openid = uniqueOpenid();
      const templateId = uniqueTemplateId();
      const app = mode === 'plaintext' ? plain : aes;
      const push = buildPush(popupEvent(openid, [[templateId, 'accept']]), signing(fake.appId, mode, format));

      const res = await postPush(app.url, push).expect(200);

      expect(res.text).toBe('success');
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      expect(await subscriptions(openid, app)).toEqual([{ templateId, status: 'accept', remaining: 1, updatedAt: expect.any(String) }]);
    });

    it('XML is also taken as application/xml, and JSON in safe mode with a charset', async () => {
      const openid = uniqueOpenid();
      const [t1, t2] = [uniqueTemplateId(), uniqueTemplateId()];
      await postPush(
        aes.url,
        buildPush(popupEvent(openid, [[t1, 'accept']]), signing(fake.appId, 'safe', 'xml')),
        'application/xml',
      ).expect(200);
      await postPush(
        aes.url,
        buildPush(popupEvent(openid, [[t2, 'accept']]), signing(fake.appId, 'safe', 'json')),
        'application/json; charset=utf-8',
      ).expect(200);
      expect((await subscriptions(openid, aes)).map((s) => [s.templateId, s.remaining]).sort()).toEqual(
        [
          [t1, 1],
          [t2, 1],
        ].sort(),
      );
    });

    it('in compatible mode the fields in the clear are ignored: only the encrypted copy is applied', async () => {
      const openid = uniqueOpenid();
      const forgedOpenid = uniqueOpenid();
      const templateId = uniqueTemplateId();
      const push = buildPush(popupEvent(openid, [[templateId, 'accept']]), signing(fake.appId, 'compatible', 'json'));
      await postPush(aes.url, { ...push, body: push.body.replace(openid, forgedOpenid) }).expect(200);
      expect(await subscriptions(forgedOpenid, aes)).toEqual([]);
      expect(await subscriptions(openid, aes)).toEqual([expect.objectContaining({ templateId, remaining: 1 })]);
    });
  });

  describe('bad signatures, stale timestamps: 401 and nothing recorded', () => {
    type Forge = (openid: string, templateId: string) => { app: TestApp; push: ReturnType<typeof buildPush>; contentType?: string };
    const event = (openid: string, templateId: string) => popupEvent(openid, [[templateId, 'accept']]);
    const cases: Array<[string, string, Forge]> = [
      [
        'plaintext signed with another token',
        'PUSH_SIGNATURE_INVALID',
        (o, t) => ({ app: plain, push: buildPush(event(o, t), signing(fake.appId, 'plaintext', 'json', { token: 'BBBBB' })) }),
      ],
      [
        'plaintext without signature',
        'PUSH_SIGNATURE_INVALID',
        (o, t) => {
          const push = buildPush(event(o, t), signing(fake.appId));
          delete push.query.signature;
          return { app: plain, push };
        },
      ],
      [
        'plaintext with a nonce it was not signed for',
        'PUSH_SIGNATURE_INVALID',
        (o, t) => {
          const push = buildPush(event(o, t), signing(fake.appId, 'plaintext', 'xml'));
          return { app: plain, push: { ...push, query: { ...push.query, nonce: `${push.query.nonce}0` } } };
        },
      ],
      [
        'plaintext with an upper-case-only garbage signature',
        'PUSH_SIGNATURE_INVALID',
        (o, t) => {
          const push = buildPush(event(o, t), signing(fake.appId));
          return { app: plain, push: { ...push, query: { ...push.query, signature: 'Z'.repeat(40) } } };
        },
      ],
      [
        'safe mode without msg_signature',
        'PUSH_SIGNATURE_INVALID',
        (o, t) => {
          const push = buildPush(event(o, t), signing(fake.appId, 'safe', 'json'));
          delete push.query.msg_signature;
          return { app: aes, push };
        },
      ],
      [
        'safe mode with a msg_signature of another ciphertext',
        'PUSH_SIGNATURE_INVALID',
        (o, t) => {
          const push = buildPush(event(o, t), signing(fake.appId, 'safe', 'xml'));
          const other = buildPush(
            event(o, t),
            signing(fake.appId, 'safe', 'xml', { timestamp: Number(push.query.timestamp), nonce: push.query.nonce }),
          );
          return { app: aes, push: { ...push, query: { ...push.query, msg_signature: other.query.msg_signature } } };
        },
      ],
      [
        'safe mode with a tampered ciphertext',
        'PUSH_SIGNATURE_INVALID',
        (o, t) => {
          const push = buildPush(event(o, t), signing(fake.appId, 'safe', 'json'));
          const body = JSON.parse(push.body) as { Encrypt: string };
          body.Encrypt = `${body.Encrypt.slice(0, 10)}${body.Encrypt[10] === 'A' ? 'B' : 'A'}${body.Encrypt.slice(11)}`;
          return { app: aes, push: { ...push, body: JSON.stringify(body) } };
        },
      ],
      [
        'compatible mode signed with another token',
        'PUSH_SIGNATURE_INVALID',
        (o, t) => ({ app: aes, push: buildPush(event(o, t), signing(fake.appId, 'compatible', 'xml', { token: 'BBBBB' })) }),
      ],
      [
        'safe mode encrypted with another EncodingAESKey',
        'PUSH_DECRYPT_FAILED',
        (o, t) => ({
          app: aes,
          push: buildPush(event(o, t), signing(fake.appId, 'safe', 'json', { aesKey: PUSH_AES_KEY.replace('K', 'L') })),
        }),
      ],
      [
        'safe mode encrypted for another appid',
        'PUSH_WRONG_APP',
        (o, t) => ({ app: aes, push: buildPush(event(o, t), signing(fake.appId, 'safe', 'xml', { appId: 'wxsomeoneelse0001' })) }),
      ],
      [
        'a plaintext push to an app in AES mode',
        'PUSH_ENCRYPTION_REQUIRED',
        (o, t) => ({ app: aes, push: buildPush(event(o, t), signing(fake.appId, 'plaintext', 'json')) }),
      ],
      [
        'an AES push to an app without EncodingAESKey',
        'PUSH_DECRYPT_FAILED',
        (o, t) => ({ app: plain, push: buildPush(event(o, t), signing(fake.appId, 'safe', 'json')) }),
      ],
      // The exact edges (±300 s in, ±301 s out) are unit-tested on a fixed clock (push.verifier.spec.ts);
      // here the wall clock moves while a loaded machine gets to the request, so the cases stay clear of them.
      [
        'a timestamp 6 minutes old',
        'PUSH_TIMESTAMP_STALE',
        (o, t) => ({
          app: plain,
          push: buildPush(event(o, t), signing(fake.appId, 'plaintext', 'json', { timestamp: nowSeconds() - 360 })),
        }),
      ],
      [
        'a timestamp 6 minutes ahead',
        'PUSH_TIMESTAMP_STALE',
        (o, t) => ({ app: aes, push: buildPush(event(o, t), signing(fake.appId, 'safe', 'xml', { timestamp: nowSeconds() + 360 })) }),
      ],
      [
        'a timestamp that is not a number',
        'PUSH_TIMESTAMP_STALE',
        (o, t) => {
          const push = buildPush(event(o, t), signing(fake.appId));
          return { app: plain, push: { ...push, query: { ...push.query, timestamp: 'soon' } } };
        },
      ],
    ];

    it.each(cases)('%s → 401 %s', async (_label, code, forge) => {
      const openid = uniqueOpenid();
      const templateId = uniqueTemplateId();
      const { app, push } = forge(openid, templateId);
      const res = await postPush(app.url, push).expect(401);
      expect(res.body).toEqual({ statusCode: 401, code, message: expect.any(String) });
      expect(await subscriptions(openid, app)).toEqual([]);
    });

    it('a timestamp 4 minutes old or ahead is still within the window', async () => {
      const [old, ahead] = [uniqueOpenid(), uniqueOpenid()];
      await postPush(
        aes.url,
        buildPush(
          popupEvent(old, [[uniqueTemplateId(), 'accept']]),
          signing(fake.appId, 'safe', 'json', { timestamp: nowSeconds() - 240 }),
        ),
      ).expect(200);
      await postPush(
        plain.url,
        buildPush(
          popupEvent(ahead, [[uniqueTemplateId(), 'accept']]),
          signing(fake.appId, 'plaintext', 'xml', { timestamp: nowSeconds() + 240 }),
        ),
      ).expect(200);
      expect(await subscriptions(old, aes)).toHaveLength(1);
      expect(await subscriptions(ahead, plain)).toHaveLength(1);
    });

    it.each([
      ['malformed XML', '<xml><FromUserName>o</xml>', 'text/xml'],
      ['XML with a DOCTYPE', '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY e "x">]><xml><Event>&e;</Event></xml>', 'text/xml'],
      ['malformed JSON', '{"Event":', 'application/json'],
      ['a JSON array', '[1]', 'application/json'],
    ])("a signed push with %s → 400 PUSH_BODY_INVALID (or the adapter's 400)", async (_label, body, contentType) => {
      const push = buildPush(popupEvent(uniqueOpenid(), [[uniqueTemplateId(), 'accept']]), signing(fake.appId));
      const res = await postPush(plain.url, { ...push, body }, contentType).expect(400);
      expect(res.body).toEqual({
        statusCode: 400,
        code: expect.stringMatching(/^(PUSH_BODY_INVALID|INVALID_JSON)$/),
        message: expect.any(String),
      });
    });
  });

  describe('replays', () => {
    it('the same push delivered again (as is, or signed anew) is applied once', async () => {
      const openid = uniqueOpenid();
      const templateId = uniqueTemplateId();
      const event = popupEvent(openid, [[templateId, 'accept']]);
      const first = buildPush(event, signing(fake.appId, 'safe', 'xml'));
      await postPush(aes.url, first).expect(200);
      const again = await postPush(aes.url, first).expect(200);
      expect(again.text).toBe('success');
      await postPush(aes.url, buildPush(event, signing(fake.appId, 'safe', 'xml'))).expect(200);
      await postPush(aes.url, buildPush(event, signing(fake.appId, 'compatible', 'json'))).expect(200);
      expect(await subscriptions(openid, aes)).toEqual([expect.objectContaining({ templateId, status: 'accept', remaining: 1 })]);
    });

    it('concurrent copies of one push: credited once, every copy 200 or 503 (WeChat retries a 503)', async () => {
      const openid = uniqueOpenid();
      const templateId = uniqueTemplateId();
      const push = buildPush(popupEvent(openid, [[templateId, 'accept']]), signing(fake.appId));
      const answers = await Promise.all(Array.from({ length: 10 }, () => postPush(plain.url, push)));
      expect(answers.map((a) => a.status).filter((s) => s !== 200 && s !== 503)).toEqual([]);
      expect(answers.some((a) => a.status === 200)).toBe(true);
      expect(await subscriptions(openid)).toEqual([expect.objectContaining({ remaining: 1 })]);
      // A copy that got 503 is redelivered by WeChat later: still once.
      await postPush(plain.url, push).expect(200);
      expect(await subscriptions(openid)).toEqual([expect.objectContaining({ remaining: 1 })]);
    });

    it('plaintext mode: a signature seen with one body is refused with another (the signature does not cover the body)', async () => {
      const openid = uniqueOpenid();
      const attacker = uniqueOpenid();
      const templateId = uniqueTemplateId();
      const genuine = buildPush(popupEvent(openid, [[templateId, 'accept']]), signing(fake.appId, 'plaintext', 'json'));
      await postPush(plain.url, genuine).expect(200);

      const forged = await postPush(plain.url, { ...genuine, body: genuine.body.replaceAll(openid, attacker) }).expect(401);
      expect(forged.body.code).toBe('PUSH_SIGNATURE_REUSED');
      const forgedXml = buildPush(popupEvent(attacker, [[templateId, 'accept']]), signing(fake.appId, 'plaintext', 'xml'));
      await postPush(plain.url, { ...forgedXml, query: genuine.query }).expect(401);

      expect(await subscriptions(attacker)).toEqual([]);
      await postPush(plain.url, genuine).expect(200); // WeChat's own redelivery is still fine
      expect(await subscriptions(openid)).toEqual([expect.objectContaining({ templateId, remaining: 1 })]);
    });

    it('two accepts of the same template (two popups) are two credits', async () => {
      const openid = uniqueOpenid();
      const templateId = uniqueTemplateId();
      await postPush(plain.url, buildPush(popupEvent(openid, [[templateId, 'accept']], nowSeconds() - 5), signing(fake.appId))).expect(200);
      await postPush(plain.url, buildPush(popupEvent(openid, [[templateId, 'accept']], nowSeconds()), signing(fake.appId))).expect(200);
      expect(await subscriptions(openid)).toEqual([expect.objectContaining({ remaining: 2 })]);
    });
  });

  describe('List shapes and events', () => {
    it('JSON List as an array of several items, and as an object for one', async () => {
      const openid = uniqueOpenid();
      const [t1, t2, t3, t4] = [uniqueTemplateId(), uniqueTemplateId(), uniqueTemplateId(), uniqueTemplateId()];
      // One clock reading for both popups of t4: read twice, a second boundary between the reads could
      // give both the same CreateTime, and then the second is (rightly) taken as a redelivery.
      const now = nowSeconds();
      const many = buildPush(
        popupEvent(openid, [
          [t1, 'accept'],
          [t2, 'reject'],
          [t3, 'accept'],
        ]),
        signing(fake.appId, 'plaintext', 'json'),
      );
      expect(JSON.parse(many.body).List).toHaveLength(3);
      await postPush(plain.url, many).expect(200);
      const one = buildPush(popupEvent(openid, [[t4, 'accept']], now), signing(fake.appId, 'plaintext', 'json', { listShape: 'object' }));
      expect(JSON.parse(one.body).List).toEqual(expect.objectContaining({ TemplateId: t4 }));
      await postPush(plain.url, one).expect(200);
      const oneAsArray = buildPush(
        popupEvent(openid, [[t4, 'accept']], now - 1),
        signing(fake.appId, 'plaintext', 'json', { listShape: 'array' }),
      );
      await postPush(plain.url, oneAsArray).expect(200);

      const byTemplate = Object.fromEntries((await subscriptions(openid)).map((s) => [s.templateId, [s.status, s.remaining]]));
      expect(byTemplate).toEqual({ [t1]: ['accept', 1], [t2]: ['reject', 0], [t3]: ['accept', 1], [t4]: ['accept', 2] });
    });

    it('XML with repeated <List> elements, in safe mode', async () => {
      const openid = uniqueOpenid();
      const [t1, t2] = [uniqueTemplateId(), uniqueTemplateId()];
      const push = buildPush(
        popupEvent(openid, [
          [t1, 'accept'],
          [t2, 'accept'],
        ]),
        signing(fake.appId, 'safe', 'xml'),
      );
      await postPush(aes.url, push).expect(200);
      expect((await subscriptions(openid, aes)).map((s) => [s.templateId, s.remaining]).sort()).toEqual(
        [
          [t1, 1],
          [t2, 1],
        ].sort(),
      );
    });

    it('popup reject keeps the credits; a settings change to reject ends them', async () => {
      const openid = uniqueOpenid();
      const templateId = uniqueTemplateId();
      const send = (event: ReturnType<typeof popupEvent>) =>
        postPush(plain.url, buildPush(event, signing(fake.appId, 'plaintext', 'xml'))).expect(200);
      await send(popupEvent(openid, [[templateId, 'accept']], nowSeconds() - 3));
      await send(popupEvent(openid, [[templateId, 'accept']], nowSeconds() - 2));
      await send(popupEvent(openid, [[templateId, 'reject']], nowSeconds() - 1));
      expect(await subscriptions(openid)).toEqual([expect.objectContaining({ status: 'reject', remaining: 2 })]);
      await send(changeEvent(openid, templateId));
      expect(await subscriptions(openid)).toEqual([expect.objectContaining({ status: 'reject', remaining: 0 })]);
    });

    it('a change event for a template never seen records the rejection', async () => {
      const openid = uniqueOpenid();
      const templateId = uniqueTemplateId();
      await postPush(aes.url, buildPush(changeEvent(openid, templateId), signing(fake.appId, 'safe', 'json'))).expect(200);
      expect(await subscriptions(openid, aes)).toEqual([{ templateId, status: 'reject', remaining: 0, updatedAt: expect.any(String) }]);
    });

    it('any other event or message is acknowledged and changes nothing', async () => {
      const openid = uniqueOpenid();
      const other = { ...popupEvent(openid, [[uniqueTemplateId(), 'accept']]), Event: 'user_enter_tempsession' };
      const res = await postPush(plain.url, buildPush(other, signing(fake.appId, 'plaintext', 'xml'))).expect(200);
      expect(res.text).toBe('success');
      const text = buildPush(popupEvent(openid, []), signing(fake.appId));
      const message = `{"ToUserName":"gh_test","FromUserName":"${openid}","CreateTime":${nowSeconds()},"MsgType":"text","Content":"hi","MsgId":1234567890123456789}`;
      await postPush(plain.url, { ...text, body: message }).expect(200);
      expect(await subscriptions(openid)).toEqual([]);
    });
  });

  describe('subscriptions routes', () => {
    it('GET /users/me/subscriptions shows the user its own; each route refuses the other principal', async () => {
      const openid = uniqueOpenid();
      const templateId = uniqueTemplateId();
      await postPush(plain.url, buildPush(popupEvent(openid, [[templateId, 'accept']]), signing(fake.appId))).expect(200);
      const login = await request(plain.url)
        .post('/auth/login')
        .send({ code: fake.issueLoginCode(openid) })
        .expect(200);
      const user = `Bearer ${login.body.token as string}`;

      const mine = await request(plain.url).get('/users/me/subscriptions').set('Authorization', user).expect(200);
      expect(mine.body).toEqual({ items: [{ templateId, status: 'accept', remaining: 1, updatedAt: expect.any(String) }] });
      expect(Date.parse(mine.body.items[0].updatedAt)).toBeGreaterThan(Date.now() - 60_000);

      await request(plain.url).get('/users/me/subscriptions').set('Authorization', SERVICE).expect(403);
      await request(plain.url).get('/templates/subscriptions').query({ openid }).set('Authorization', user).expect(403);
      await request(plain.url).get('/templates/subscriptions').expect(401);
      const missing = await request(plain.url).get('/templates/subscriptions').set('Authorization', SERVICE).expect(400);
      expect(missing.body.code).toBe('VALIDATION_FAILED');
    });
  });

  describe('under load', () => {
    it('50 concurrent pushes are each answered 200 within 1 s, and all applied', async () => {
      const openid = uniqueOpenid();
      const templateId = uniqueTemplateId();
      const base = nowSeconds() - 100;
      // Distinct pushes (CreateTime differs): 50 accepts, mixed modes and formats.
      const pushes = Array.from({ length: 50 }, (_, i) => {
        const [mode, format] = MODES_AND_FORMATS[2 + (i % 4)];
        return buildPush(popupEvent(openid, [[templateId, 'accept']], base + i), signing(fake.appId, mode, format));
      });
      // Warm the connection pools (database and Redis) as a running service has them, so the measure
      // is the callback and not the first connects.
      await Promise.all(
        Array.from({ length: 20 }, () =>
          postPush(aes.url, buildPush(popupEvent(uniqueOpenid(), [[templateId, 'accept']]), signing(fake.appId, 'safe', 'json'))).expect(
            200,
          ),
        ),
      );

      const timings = await Promise.all(
        pushes.map(async (push) => {
          const started = performance.now();
          const res = await postPushRaw(aes.url, push);
          return { status: res.status, body: res.body, ms: performance.now() - started };
        }),
      );

      expect(timings.filter((t) => t.status !== 200 || t.body !== 'success')).toEqual([]);
      expect(Math.max(...timings.map((t) => t.ms))).toBeLessThan(1000);
      expect(await subscriptions(openid, aes)).toEqual([expect.objectContaining({ remaining: 50 })]);
    });
  });
});
