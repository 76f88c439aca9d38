import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import request from 'supertest';
import { FakeWechatServer } from '../../src/sandbox/fake-wechat.server.js';
import { AccessTokenService } from '../../src/wechat/access-token.service.js';
import { type SubscribeMessage, WechatClient } from '../../src/wechat/wechat.client.js';
import { WechatApiError, WechatTransportError } from '../../src/wechat/wechat.errors.js';
import { captureOutput } from '../support/log-capture.js';
import { startTestApp, type TestApp, uniqueOpenid } from '../support/test-app.js';

// Short enough to keep the timeout tests fast, long enough for a loopback round trip on a busy CI box.
const TIMEOUT_MS = 300;
// Far above TIMEOUT_MS: a call that waited for the answer would take this long.
const SLOW_MS = 1500;

/** The shape of a WechatApiError the client must throw for a non-zero errcode. */
function apiError(endpoint: string, kind: string, errcode: number) {
  return { name: 'WechatApiError', endpoint, kind, errcode, errmsg: expect.stringContaining('rid:') };
}

function transportError(endpoint: string, kind: 'timeout' | 'network' | 'bad_response') {
  return { name: 'WechatTransportError', endpoint, kind };
}

describe('WechatClient against the fake WeChat (stable_token mode)', () => {
  let t: TestApp;
  let client: WechatClient;

  beforeAll(async () => {
    t = await startTestApp({ env: { WECHAT_TIMEOUT_MS: String(TIMEOUT_MS) } });
    client = t.app.get(WechatClient);
  });
  afterAll(() => t.close());
  afterEach(() => {
    t.fake.setLatency(0);
    t.fake.bringUp();
    t.fake.allowPages(null);
  });

  async function freshToken(): Promise<string> {
    return (await client.fetchAccessToken()).accessToken;
  }

  /** A message the fake accepts: known user, known template, one subscription credit. */
  function subscribedMessage(overrides: Partial<SubscribeMessage> = {}): SubscribeMessage {
    const touser = uniqueOpenid();
    const templateId = `tpl-${touser}`;
    t.fake.addTemplate(templateId, ['thing1']);
    t.fake.acceptSubscription(touser, templateId);
    return { touser, templateId, data: { thing1: { value: 'hi' } }, ...overrides };
  }

  describe('code2Session (/sns/jscode2session)', () => {
    it('returns openid, session_key and unionid, whether or not the text/plain answer carries errcode 0', async () => {
      // The fake alternates between the two success shapes WeChat has been seen to send.
      for (const unionid of ['union-a', undefined]) {
        const openid = uniqueOpenid();
        const code = t.fake.issueLoginCode(openid, unionid ? { unionid } : undefined);
        await expect(client.code2Session(code)).resolves.toEqual({
          openid,
          sessionKey: t.fake.sessionKey(openid),
          unionid: unionid ?? null,
        });
      }
    });

    it.each([
      ['a never-issued code', 'never-issued-code', 'invalid_code', 40029],
      ['an invalid code', 'invalid-abc', 'invalid_code', 40029],
      ['a rate-limited call', 'ratelimit-abc', 'rate_limited', 45011],
      ['WeChat busy', 'busy-abc', 'busy', -1],
      ['a blocked code', 'blocked-abc', 'code_blocked', 40226],
    ])('maps %s to a WechatApiError and calls WeChat exactly once', async (_name, code, kind, errcode) => {
      const before = t.fake.calls('jscode2session');
      const failure = client.code2Session(code);
      await expect(failure).rejects.toBeInstanceOf(WechatApiError);
      await expect(failure).rejects.toMatchObject(apiError('jscode2session', kind, errcode));
      expect(t.fake.calls('jscode2session')).toBe(before + 1);
    });

    it('maps a code used twice to code_used (40163)', async () => {
      const code = t.fake.issueLoginCode(uniqueOpenid());
      const before = t.fake.calls('jscode2session');
      await expect(client.code2Session(code)).resolves.toMatchObject({ sessionKey: expect.any(String) });
      await expect(client.code2Session(code)).rejects.toMatchObject(apiError('jscode2session', 'code_used', 40163));
      expect(t.fake.calls('jscode2session')).toBe(before + 2);
    });

    it('maps an errcode it does not know to unknown', async () => {
      t.fake.failNext('jscode2session', 99999);
      const code = t.fake.issueLoginCode(uniqueOpenid());
      await expect(client.code2Session(code)).rejects.toMatchObject(apiError('jscode2session', 'unknown', 99999));
    });

    it('gives up after WECHAT_TIMEOUT_MS with kind timeout, without retrying', async () => {
      t.fake.setLatency(SLOW_MS);
      const before = t.fake.calls('jscode2session');
      const started = Date.now();
      const failure = client.code2Session(t.fake.issueLoginCode(uniqueOpenid()));
      await expect(failure).rejects.toBeInstanceOf(WechatTransportError);
      await expect(failure).rejects.toMatchObject(transportError('jscode2session', 'timeout'));
      expect(Date.now() - started).toBeLessThan(SLOW_MS - 300);
      expect(t.fake.calls('jscode2session')).toBe(before + 1);
    });

    it('reports an unreachable WeChat as kind network, and works again once it is back', async () => {
      const openid = uniqueOpenid();
      t.fake.takeDown();
      await expect(client.code2Session(t.fake.issueLoginCode(openid))).rejects.toMatchObject(transportError('jscode2session', 'network'));
      t.fake.bringUp();
      await expect(client.code2Session(t.fake.issueLoginCode(openid))).resolves.toMatchObject({ openid });
    });
  });

  describe('fetchAccessToken (/cgi-bin/stable_token)', () => {
    it('fetches a stable token that WeChat accepts, without touching /cgi-bin/token', async () => {
      const before = { stable: t.fake.calls('stable_token'), classic: t.fake.calls('token') };
      const result = await client.fetchAccessToken();
      // The first stable token of this fake, minted by this call: its whole lifetime is left.
      expect(result.expiresIn).toBe(7200);
      expect(t.fake.currentTokens()).toContain(result.accessToken);
      expect(t.fake.calls('stable_token')).toBe(before.stable + 1);
      expect(t.fake.calls('token')).toBe(before.classic);
    });

    it('passes force_refresh: a forced fetch replaces the current stable token', async () => {
      const current = await freshToken();
      const forced = await client.fetchAccessToken({ forceRefresh: true });
      expect(forced.accessToken).not.toBe(current);
      expect(t.fake.currentTokens()).toContain(forced.accessToken);
      expect(t.fake.currentTokens()).not.toContain(current);
    });

    it('retries once on -1 and returns the second answer', async () => {
      const before = t.fake.calls('stable_token');
      t.fake.failNext('stable_token', -1);
      const result = await client.fetchAccessToken();
      expect(t.fake.currentTokens()).toContain(result.accessToken);
      expect(t.fake.calls('stable_token')).toBe(before + 2);
    });

    it('retries -1 only once: a second -1 is thrown as busy', async () => {
      const before = t.fake.calls('stable_token');
      t.fake.failNext('stable_token', -1, 2);
      await expect(client.fetchAccessToken()).rejects.toMatchObject(apiError('stable_token', 'busy', -1));
      expect(t.fake.calls('stable_token')).toBe(before + 2);
    });

    it.each([
      [45011, 'rate_limited'],
      [45009, 'quota_exceeded'],
      [40125, 'invalid_credentials'],
      [99999, 'unknown'],
    ])('does not retry errcode %i (%s)', async (errcode, kind) => {
      const before = t.fake.calls('stable_token');
      t.fake.failNext('stable_token', errcode);
      await expect(client.fetchAccessToken()).rejects.toMatchObject(apiError('stable_token', kind, errcode));
      expect(t.fake.calls('stable_token')).toBe(before + 1);
    });

    it('does not retry a timeout', async () => {
      t.fake.setLatency(SLOW_MS);
      const before = t.fake.calls('stable_token');
      await expect(client.fetchAccessToken()).rejects.toMatchObject(transportError('stable_token', 'timeout'));
      expect(t.fake.calls('stable_token')).toBe(before + 1);
    });

    it('reports an unreachable WeChat as kind network, and works again once it is back', async () => {
      t.fake.takeDown();
      await expect(client.fetchAccessToken()).rejects.toMatchObject(transportError('stable_token', 'network'));
      t.fake.bringUp();
      await expect(client.fetchAccessToken()).resolves.toMatchObject({ accessToken: expect.any(String) });
    });
  });

  describe('sendSubscribeMessage (/cgi-bin/message/subscribe/send)', () => {
    it('returns the int64 msgid as a string with every digit WeChat sent', async () => {
      const message = subscribedMessage();
      const msgid = await client.sendSubscribeMessage(await freshToken(), message);
      const received = t.fake.messages.at(-1);
      expect(received).toMatchObject({ kind: 'subscribe', touser: message.touser, templateId: message.templateId });
      expect(typeof msgid).toBe('string');
      expect(msgid).toBe(received?.msgid);
      expect(BigInt(msgid as string)).toBeGreaterThan(2n ** 53n);
    });

    it('keeps the msgid intact through POST /templates/send as well', async () => {
      const openid = uniqueOpenid();
      const login = await request(t.url)
        .post('/auth/login')
        .send({ code: t.fake.issueLoginCode(openid) })
        .expect(200);
      t.fake.addTemplate('tpl-http', ['thing1']);
      t.fake.acceptSubscription(openid, 'tpl-http');
      const res = await request(t.url)
        .post('/templates/send')
        .set('Authorization', `Bearer ${login.body.token}`)
        .send({ templateId: 'tpl-http', data: { thing1: { value: 'hi' } } })
        .expect(200);
      expect(res.body).toEqual({ msgid: t.fake.messages.at(-1)?.msgid });
      expect(typeof res.body.msgid).toBe('string');
    });

    it('maps "no subscription left" to not_subscribed (43101)', async () => {
      const touser = uniqueOpenid();
      t.fake.registerUser(touser);
      t.fake.addTemplate('tpl-unsubscribed');
      await expect(
        client.sendSubscribeMessage(await freshToken(), { touser, templateId: 'tpl-unsubscribed', data: { thing1: { value: 'hi' } } }),
      ).rejects.toMatchObject(apiError('subscribe_send', 'not_subscribed', 43101));
    });

    it.each<[string, number, () => SubscribeMessage]>([
      ['an unknown openid', 40003, () => ({ ...subscribedMessage(), touser: uniqueOpenid() })],
      ['an unknown template', 40037, () => ({ ...subscribedMessage(), templateId: 'tpl-nobody-created' })],
      ['a keyword the template does not have', 47003, () => subscribedMessage({ data: { thing2: { value: 'hi' } } })],
      ['a page that is not allowed', 41030, () => subscribedMessage({ page: 'pages/secret/secret' })],
    ])('maps %s to invalid_argument (%i)', async (_name, errcode, build) => {
      t.fake.allowPages(['pages/index/index']);
      const sent = t.fake.messages.length;
      await expect(client.sendSubscribeMessage(await freshToken(), build())).rejects.toMatchObject(
        apiError('subscribe_send', 'invalid_argument', errcode),
      );
      expect(t.fake.messages).toHaveLength(sent);
    });

    it('maps a token WeChat no longer accepts to token_invalid (40001)', async () => {
      const token = await freshToken();
      t.fake.invalidateTokens();
      await expect(client.sendSubscribeMessage(token, subscribedMessage())).rejects.toMatchObject(
        apiError('subscribe_send', 'token_invalid', 40001),
      );
    });

    it('maps a malformed token to token_invalid (40014)', async () => {
      await expect(client.sendSubscribeMessage('not a token', subscribedMessage())).rejects.toMatchObject(
        apiError('subscribe_send', 'token_invalid', 40014),
      );
    });

    it('maps an expired token to token_expired (42001)', async () => {
      const token = await freshToken();
      t.fake.expireTokens();
      await expect(client.sendSubscribeMessage(token, subscribedMessage())).rejects.toMatchObject(
        apiError('subscribe_send', 'token_expired', 42001),
      );
    });

    it.each([
      [-1, 'busy'],
      [99999, 'unknown'],
    ])('never retries a send itself: errcode %i is thrown as %s after one call', async (errcode, kind) => {
      const token = await freshToken();
      const before = t.fake.calls('subscribe_send');
      t.fake.failNext('subscribe_send', errcode);
      await expect(client.sendSubscribeMessage(token, subscribedMessage())).rejects.toMatchObject(
        apiError('subscribe_send', kind, errcode),
      );
      expect(t.fake.calls('subscribe_send')).toBe(before + 1);
    });

    it('gives up after WECHAT_TIMEOUT_MS with kind timeout, without retrying', async () => {
      const token = await freshToken();
      t.fake.setLatency(SLOW_MS);
      const before = t.fake.calls('subscribe_send');
      await expect(client.sendSubscribeMessage(token, subscribedMessage())).rejects.toMatchObject(
        transportError('subscribe_send', 'timeout'),
      );
      expect(t.fake.calls('subscribe_send')).toBe(before + 1);
    });

    it('reports an unreachable WeChat as kind network', async () => {
      const token = await freshToken();
      t.fake.takeDown();
      await expect(client.sendSubscribeMessage(token, subscribedMessage())).rejects.toMatchObject(
        transportError('subscribe_send', 'network'),
      );
    });
  });

  describe('AccessTokenService.withToken', () => {
    it.each([
      ['invalidated', 40001, () => t.fake.invalidateTokens()],
      ['expired', 42001, () => t.fake.expireTokens()],
    ])('replaces a token WeChat reports %s (%i) and sends once more with a new one', async (_name, _errcode, spoil) => {
      const tokens = t.app.get(AccessTokenService);
      const stale = await tokens.get();
      spoil();
      const before = t.fake.calls('subscribe_send');
      const message = subscribedMessage();
      const used: string[] = [];
      const msgid = await tokens.withToken((token) => {
        used.push(token);
        return client.sendSubscribeMessage(token, message);
      });
      expect(used).toEqual([stale, expect.any(String)]);
      expect(used[1]).not.toBe(stale);
      expect(t.fake.messages.at(-1)).toMatchObject({ msgid, accessToken: used[1], touser: message.touser });
      expect(t.fake.calls('subscribe_send')).toBe(before + 2);
    });
  });
});

describe('WechatClient in classic token mode (/cgi-bin/token)', () => {
  let t: TestApp;
  let client: WechatClient;

  beforeAll(async () => {
    t = await startTestApp({ env: { WECHAT_TOKEN_MODE: 'classic' } });
    client = t.app.get(WechatClient);
  });
  afterAll(() => t.close());
  afterEach(() => t.fake.bringUp());

  it('fetches from /cgi-bin/token, never /cgi-bin/stable_token', async () => {
    const before = t.fake.calls('token');
    const result = await client.fetchAccessToken();
    expect(t.fake.currentTokens()).toContain(result.accessToken);
    expect(result.expiresIn).toBe(7200);
    expect(t.fake.calls('token')).toBe(before + 1);
    expect(t.fake.calls('stable_token')).toBe(0);
  });

  it('retries once on -1 and returns the second answer', async () => {
    const before = t.fake.calls('token');
    t.fake.failNext('token', -1);
    const result = await client.fetchAccessToken();
    expect(t.fake.currentTokens()).toContain(result.accessToken);
    expect(t.fake.calls('token')).toBe(before + 2);
  });

  it('retries -1 only once', async () => {
    const before = t.fake.calls('token');
    t.fake.failNext('token', -1, 2);
    await expect(client.fetchAccessToken()).rejects.toMatchObject(apiError('token', 'busy', -1));
    expect(t.fake.calls('token')).toBe(before + 2);
  });

  it('does not retry the daily quota (45009)', async () => {
    const before = t.fake.calls('token');
    t.fake.failNext('token', 45009);
    await expect(client.fetchAccessToken()).rejects.toMatchObject(apiError('token', 'quota_exceeded', 45009));
    expect(t.fake.calls('token')).toBe(before + 1);
  });

  it('reports an unreachable WeChat as kind network', async () => {
    t.fake.takeDown();
    await expect(client.fetchAccessToken()).rejects.toMatchObject(transportError('token', 'network'));
  });
});

describe('WechatClient with credentials WeChat refuses', () => {
  let fake: FakeWechatServer;
  let wrongSecret: TestApp;
  let wrongSecretClassic: TestApp;
  let wrongAppId: TestApp;

  beforeAll(async () => {
    fake = await FakeWechatServer.start();
    [wrongSecret, wrongSecretClassic, wrongAppId] = await Promise.all([
      startTestApp({ fake, env: { WECHAT_APP_SECRET: 'wrong' } }),
      startTestApp({ fake, env: { WECHAT_APP_SECRET: 'wrong', WECHAT_TOKEN_MODE: 'classic' } }),
      startTestApp({ fake, env: { WECHAT_APP_ID: 'wx00000000000000ff' } }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([wrongSecret, wrongSecretClassic, wrongAppId].filter(Boolean).map((t) => t.close()));
    await fake.close();
  });

  it('maps a wrong AppSecret on jscode2session to invalid_credentials (40125)', async () => {
    const client = wrongSecret.app.get(WechatClient);
    await expect(client.code2Session(fake.issueLoginCode(uniqueOpenid()))).rejects.toMatchObject(
      apiError('jscode2session', 'invalid_credentials', 40125),
    );
  });

  it('maps a wrong AppSecret on stable_token to invalid_credentials (40125), without retrying', async () => {
    const before = fake.calls('stable_token');
    await expect(wrongSecret.app.get(WechatClient).fetchAccessToken()).rejects.toMatchObject(
      apiError('stable_token', 'invalid_credentials', 40125),
    );
    expect(fake.calls('stable_token')).toBe(before + 1);
  });

  it('maps 40001 from /cgi-bin/token (its wrong-secret answer) to invalid_credentials, not token_invalid', async () => {
    const before = fake.calls('token');
    await expect(wrongSecretClassic.app.get(WechatClient).fetchAccessToken()).rejects.toMatchObject(
      apiError('token', 'invalid_credentials', 40001),
    );
    expect(fake.calls('token')).toBe(before + 1);
  });

  it('maps a wrong AppID to invalid_credentials (40013) on both endpoints', async () => {
    const client = wrongAppId.app.get(WechatClient);
    await expect(client.code2Session(fake.issueLoginCode(uniqueOpenid()))).rejects.toMatchObject(
      apiError('jscode2session', 'invalid_credentials', 40013),
    );
    await expect(client.fetchAccessToken()).rejects.toMatchObject(apiError('stable_token', 'invalid_credentials', 40013));
  });

  it('answers a login with 502 WECHAT_MISCONFIGURED', async () => {
    const res = await request(wrongSecret.url)
      .post('/auth/login')
      .send({ code: fake.issueLoginCode(uniqueOpenid()) })
      .expect(502);
    expect(res.body).toMatchObject({ statusCode: 502, code: 'WECHAT_MISCONFIGURED', errcode: 40125 });
  });
});

describe('WechatClient retry rules on network errors', () => {
  // A WeChat that accepts each TCP connection and resets it at once, counting attempts: the fake's own
  // counters only see requests that reach a handler, which a network error by definition does not.
  let resetter: Server;
  let connections = 0;
  let t: TestApp;
  let client: WechatClient;

  beforeAll(async () => {
    resetter = createServer((socket) => {
      connections += 1;
      socket.resetAndDestroy();
    });
    await new Promise<void>((resolve) => resetter.listen(0, '127.0.0.1', resolve));
    const { port } = resetter.address() as { port: number };
    t = await startTestApp({ env: { WECHAT_API_BASE_URL: `http://127.0.0.1:${port}` } });
    client = t.app.get(WechatClient);
  });
  afterAll(async () => {
    await t?.close();
    await new Promise((resolve) => resetter.close(resolve));
  });

  it('retries a token fetch exactly once on a network error', async () => {
    const before = connections;
    await expect(client.fetchAccessToken()).rejects.toMatchObject(transportError('stable_token', 'network'));
    expect(connections).toBe(before + 2);
  });

  it('never retries jscode2session on a network error', async () => {
    const before = connections;
    await expect(client.code2Session('any-code')).rejects.toMatchObject(transportError('jscode2session', 'network'));
    expect(connections).toBe(before + 1);
  });

  it('never retries a send on a network error', async () => {
    const before = connections;
    await expect(
      client.sendSubscribeMessage('some-token', { touser: 'o-user', templateId: 'tpl', data: { thing1: { value: 'hi' } } }),
    ).rejects.toMatchObject(transportError('subscribe_send', 'network'));
    expect(connections).toBe(before + 1);
  });
});

describe('log output of a login-and-send run', () => {
  it('contains no AppSecret, session_key, access token, session token, phone number or decrypted data', async () => {
    // Started before the app boots: see captureOutput for why pino only goes through process.stdout then.
    const capture = captureOutput();
    let t: TestApp | undefined;
    // What must never be logged → a label, so that a failure says what leaked without printing it.
    const secrets = new Map<string, string>();
    const collectTokens = (fake: FakeWechatServer) => {
      for (const token of fake.currentTokens()) secrets.set(token, 'an access token');
      for (const message of fake.messages) secrets.set(message.accessToken, 'an access token');
    };
    try {
      t = await startTestApp({ env: { LOG_LEVEL: 'trace' } });
      const { fake, url } = t;
      secrets.set(fake.appSecret, 'the AppSecret');

      // A login that works: WeChat hands out a session_key, we hand out a session token.
      const openid = uniqueOpenid();
      const code = fake.issueLoginCode(openid);
      secrets.set(code, 'the wx.login code');
      const login = await request(url).post('/auth/login').send({ code }).expect(200);
      secrets.set(login.body.token, 'the session token');
      secrets.set(fake.sessionKey(openid) as string, 'the session_key');
      const auth = `Bearer ${login.body.token}`;

      // A send that works, then one whose token WeChat has invalidated (the app replaces it and sends again).
      fake.addTemplate('tpl-log', ['thing1']);
      fake.acceptSubscription(openid, 'tpl-log', 2);
      const send = (data: object = { thing1: { value: 'hi' } }) =>
        request(url).post('/templates/send').set('Authorization', auth).send({ templateId: 'tpl-log', data });
      await send().expect(200);
      collectTokens(fake);
      fake.invalidateTokens();
      await send().expect(200);
      collectTokens(fake);

      // Failures: an invalid code, an unreachable WeChat, no subscription left, a keyword WeChat refuses.
      const failedLogin = await request(url).post('/auth/login').send({ code: 'invalid-code' }).expect(401);
      expect(failedLogin.body.code).toBe('WECHAT_INVALID_CODE');
      fake.takeDown();
      await request(url)
        .post('/auth/login')
        .send({ code: fake.issueLoginCode(uniqueOpenid()) })
        .expect(502);
      fake.bringUp();
      const refused = await send().expect(409);
      expect(refused.body).toMatchObject({ code: 'WECHAT_NOT_SUBSCRIBED', errcode: 43101 });
      fake.acceptSubscription(openid, 'tpl-log');
      await send({ thing9: { value: 'hi' } }).expect(422);
      collectTokens(fake);

      // Personal data (issue 13): phone numbers bound by code and from encrypted data, decrypted WeRun
      // data, the session_key check, and each one's failures (a refused code, another app's data, WeChat busy).
      const phone = { purePhoneNumber: '13987654321', countryCode: '86' };
      const abroad = { purePhoneNumber: '4155550199', countryCode: '1' };
      secrets.set(phone.purePhoneNumber, 'a phone number');
      secrets.set(abroad.purePhoneNumber, 'a phone number');
      const phoneCode = fake.issuePhoneCode(openid, phone);
      secrets.set(phoneCode, 'a phone code');
      const bind = (body: object) => request(url).post('/users/me/phone').set('Authorization', auth).send(body);
      await bind({ code: phoneCode }).expect(200);
      expect((await bind({ code: phoneCode }).expect(422)).body.errcode).toBe(40029);
      fake.failNext('getuserphonenumber', -1);
      await bind({ code: fake.issuePhoneCode(openid, phone) }).expect(503);
      await bind(fake.encryptPhoneNumber(openid, abroad)).expect(200);
      await bind(fake.encryptPhoneNumber(openid, abroad, { appId: 'wx00000000000other' })).expect(422);
      const marker = `werun-${randomUUID()}`;
      secrets.set(marker, 'decrypted data');
      const decrypt = (body: object) => request(url).post('/auth/decrypt').set('Authorization', auth).send(body);
      expect((await decrypt(fake.encryptUserData(openid, { marker })).expect(200)).body.data.marker).toBe(marker);
      await decrypt(fake.encryptUserData(openid, { marker }, { appId: 'wx00000000000other' })).expect(422);
      await decrypt({ ...fake.encryptUserData(openid, { marker }), iv: Buffer.alloc(16).toString('base64') }).expect(422);
      await request(url).patch('/users/me').set('Authorization', auth).send({ nickname: 'Logged Nobody' }).expect(200);
      expect((await request(url).get('/users/me').set('Authorization', auth).expect(200)).body.phoneNumber).toBe(
        `+1${abroad.purePhoneNumber}`,
      );
      secrets.set(
        createHmac('sha256', fake.sessionKey(openid) as string)
          .update('')
          .digest('hex'),
        'the checksession signature',
      );
      expect((await request(url).get('/auth/session').set('Authorization', auth).expect(200)).body.sessionKeyValid).toBe(true);
      collectTokens(fake);

      // The capture covers stderr and console too, not only pino's stdout.
      process.stderr.write('stderr-is-captured\n');
      console.error('console-is-captured');
    } finally {
      await t?.close();
      capture.restore();
    }

    const output = capture.text();
    // The capture must have seen the run, else finding nothing in it proves nothing.
    expect(output).toContain('Nest application successfully started');
    expect(output).toContain('/auth/login');
    expect(output).toContain('/templates/send');
    expect(output).toContain('errcode 40029');
    expect(output).toContain('errcode 43101');
    expect(output).toContain('WeChat refused the access token');
    expect(output).toContain('/users/me/phone');
    expect(output).toContain('/auth/decrypt');
    expect(output).toContain('/auth/session');
    expect(output).toContain('stderr-is-captured');
    expect(output).toContain('console-is-captured');

    expect(new Set(secrets.values())).toEqual(
      new Set([
        'the AppSecret',
        'the wx.login code',
        'the session token',
        'the session_key',
        'an access token',
        'a phone number',
        'a phone code',
        'decrypted data',
        'the checksession signature',
      ]),
    );
    expect([...secrets.values()].filter((label) => label === 'an access token').length).toBeGreaterThanOrEqual(2);
    const leaked = [...secrets]
      .filter(([secret]) => secret !== '' && (output.includes(secret) || output.includes(encodeURIComponent(secret))))
      .map(([, label]) => label);
    expect(leaked).toEqual([]);
  });
});

/**
 * undici's pool takes a socket back one turn of the event loop after its answer; a request sent
 * before then opens another socket. Waiting that turn makes the next request reuse the idle one.
 */
const socketBackInPool = () => new Promise((resolve) => setImmediate(resolve));

describe('WechatClient on a keep-alive socket WeChat closed while idle', () => {
  let fake: FakeWechatServer;
  let proxy: import('node:http').Server;
  let t: TestApp;
  const requestsPerSocket = new Map<unknown, number>();
  let proxied = 0;

  beforeAll(async () => {
    const http = await import('node:http');
    fake = await FakeWechatServer.start();
    // Forwards to the fake, except that a socket's second request is met by closing the socket
    // unanswered: what a server does to a keep-alive connection it has just timed out.
    proxy = http.createServer(async (req, res) => {
      const seen = (requestsPerSocket.get(req.socket) ?? 0) + 1;
      requestsPerSocket.set(req.socket, seen);
      if (seen > 1) {
        req.socket.destroy();
        return;
      }
      proxied += 1;
      const answer = await fetch(`${fake.baseUrl}${req.url}`, { method: req.method });
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
      res.end(await answer.text());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const { port } = proxy.address() as { port: number };
    t = await startTestApp({ fake, env: { WECHAT_API_BASE_URL: `http://127.0.0.1:${port}`, WECHAT_TOKEN_MODE: 'classic' } });
  });
  afterAll(async () => {
    await t?.close();
    proxy?.closeAllConnections();
    await new Promise((resolve) => proxy?.close(resolve));
    await fake?.close();
  });

  it('sends a token fetch again on a fresh socket, but never a login code', async () => {
    const client = t.app.get(WechatClient);
    const openid = uniqueOpenid();
    await expect(client.code2Session(fake.issueLoginCode(openid))).resolves.toMatchObject({ openid });
    await socketBackInPool();
    // Second request on that socket: closed unanswered; a token fetch is retried once on a network error.
    await expect(client.fetchAccessToken()).resolves.toMatchObject({ accessToken: expect.any(String) });
    expect(fake.calls('token')).toBe(1);
    await socketBackInPool();
    // Second request on the new socket: a login code is not sent again (it may have been used).
    await expect(client.code2Session(fake.issueLoginCode(uniqueOpenid()))).rejects.toMatchObject({ kind: 'network' });
    expect(fake.calls('jscode2session')).toBe(1);
    expect(proxied).toBe(2);
    expect([...requestsPerSocket.values()].sort()).toEqual([2, 2]);
  });
});
