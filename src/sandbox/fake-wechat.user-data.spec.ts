import { createDecipheriv, createHmac } from 'node:crypto';
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { FakeWechatServer, type FakeWechatOptions } from './fake-wechat.server.js';

const START = Date.UTC(2024, 0, 1, 4);

async function json(url: string, init?: RequestInit): Promise<Record<string, unknown>> {
  const res = await fetch(url, init);
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

function useFake(options: FakeWechatOptions = {}): () => FakeWechatServer {
  let fake: FakeWechatServer | undefined;
  beforeAll(async () => {
    fake = await FakeWechatServer.start(options);
  });
  afterAll(async () => {
    await fake?.close();
  });
  return () => fake as FakeWechatServer;
}

async function accessToken(fake: FakeWechatServer): Promise<string> {
  const body = await json(`${fake.baseUrl}/cgi-bin/stable_token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ grant_type: 'client_credential', appid: fake.appId, secret: fake.appSecret }),
  });
  return body['access_token'] as string;
}

function phone(fake: FakeWechatServer, token: string | null, body: unknown, contentType = 'application/json') {
  const query = token === null ? '' : `?access_token=${encodeURIComponent(token)}`;
  return json(`${fake.baseUrl}/wxa/business/getuserphonenumber${query}`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

function checkSession(fake: FakeWechatServer, query: Record<string, string>) {
  return json(`${fake.baseUrl}/wxa/checksession?${new URLSearchParams(query).toString()}`);
}

/** Written from wechat-api.md §6c, not from the app: hex HMAC-SHA256 keyed with the key's base64 text, over "". */
function signature(sessionKey: string): string {
  return createHmac('sha256', sessionKey).update('').digest('hex');
}

async function login(fake: FakeWechatServer, openid: string): Promise<string> {
  const code = fake.issueLoginCode(openid);
  const query = new URLSearchParams({ appid: fake.appId, secret: fake.appSecret, js_code: code, grant_type: 'authorization_code' });
  const body = await json(`${fake.baseUrl}/sns/jscode2session?${query.toString()}`);
  return body['session_key'] as string;
}

describe('POST /wxa/business/getuserphonenumber', () => {
  let now = START;
  const fake = useFake({ now: () => now });
  let token = '';
  beforeAll(async () => {
    token = await accessToken(fake());
  });

  it('exchanges a phone code once for phone_info with our watermark; countryCode as a string or a number', async () => {
    const first = await phone(fake(), token, { code: fake().issuePhoneCode('oPhone1'), openid: 'oPhone1' });
    // START: the clock has not moved yet.
    expect(first).toEqual({
      errcode: 0,
      errmsg: 'ok',
      phone_info: {
        phoneNumber: '13800138000',
        purePhoneNumber: '13800138000',
        countryCode: '86',
        watermark: { timestamp: Math.floor(START / 1000), appid: fake().appId },
      },
    });
    const foreign = await phone(fake(), token, {
      code: fake().issuePhoneCode('oPhone1', { purePhoneNumber: '4155550100', countryCode: '1' }),
    });
    expect(foreign['phone_info']).toMatchObject({ phoneNumber: '+14155550100', purePhoneNumber: '4155550100', countryCode: 1 });
  });

  it('answers 40029 for a used, expired, unknown or other-user code', async () => {
    const code = fake().issuePhoneCode('oPhone2');
    expect((await phone(fake(), token, { code }))['errcode']).toBe(0);
    expect(await phone(fake(), token, { code })).toMatchObject({ errcode: 40029, errmsg: expect.stringMatching(/^invalid code, rid: /) });

    const stale = fake().issuePhoneCode('oPhone2');
    now += 299_000;
    const fresh = fake().issuePhoneCode('oPhone2');
    now += 2_000;
    expect((await phone(fake(), token, { code: stale }))['errcode']).toBe(40029);
    expect((await phone(fake(), token, { code: 'never-issued' }))['errcode']).toBe(40029);
    expect((await phone(fake(), token, { code: fresh, openid: 'oSomeoneElse' }))['errcode']).toBe(40029);
    expect((await phone(fake(), token, { code: fresh, openid: 'oPhone2' }))['errcode']).toBe(0);
  });

  it('checks the access token, JSON body and method like every wxa endpoint', async () => {
    const code = fake().issuePhoneCode('oPhone3');
    expect((await phone(fake(), null, { code }))['errcode']).toBe(41001);
    expect((await phone(fake(), '80_unknown', { code }))['errcode']).toBe(40001);
    expect((await phone(fake(), token, `code=${code}`, 'application/x-www-form-urlencoded'))['errcode']).toBe(47001);
    expect((await phone(fake(), token, {}))['errcode']).toBe(41008);
    expect((await json(`${fake().baseUrl}/wxa/business/getuserphonenumber?access_token=${token}`))['errcode']).toBe(43002);
    // None of those used the code up.
    expect((await phone(fake(), token, { code }))['errcode']).toBe(0);
    fake().invalidateTokens();
    expect((await phone(fake(), token, { code: fake().issuePhoneCode('oPhone3') }))['errcode']).toBe(40001);
    expect(fake().calls('getuserphonenumber')).toBeGreaterThanOrEqual(8);
  });
});

describe('getuserphonenumber with acceptAnyCode (sandbox)', () => {
  const fake = useFake({ acceptAnyCode: true });

  it('accepts a never-issued code once, with a stable mainland number derived from it', async () => {
    const token = await accessToken(fake());
    const first = await phone(fake(), token, { code: 'devtools-code-1' });
    expect(first['phone_info']).toMatchObject({ purePhoneNumber: expect.stringMatching(/^139\d{8}$/), countryCode: '86' });
    expect((await phone(fake(), token, { code: 'devtools-code-1' }))['errcode']).toBe(40029);
  });
});

describe('GET /wxa/checksession', () => {
  const fake = useFake();
  let token = '';
  beforeAll(async () => {
    token = await accessToken(fake());
  });

  it('accepts the signature of the current session_key and answers 87009 once a new login code rotated it', async () => {
    const key = await login(fake(), 'oCheck1');
    expect(fake().sessionKey('oCheck1')).toBe(key);
    const query = { access_token: token, openid: 'oCheck1', signature: signature(key), sig_method: 'hmac_sha256' };
    expect(await checkSession(fake(), query)).toEqual({ errcode: 0, errmsg: 'ok' });

    fake().issueLoginCode('oCheck1');
    const rotated = fake().sessionKey('oCheck1') as string;
    expect(rotated).not.toBe(key);
    expect(await checkSession(fake(), query)).toMatchObject({ errcode: 87009, errmsg: expect.stringMatching(/^invalid signature, rid: /) });
    expect((await checkSession(fake(), { ...query, signature: signature(rotated) }))['errcode']).toBe(0);
  });

  it('answers 87009 for a wrong signature, method, unknown openid, or the key decoded instead of its text', async () => {
    const key = await login(fake(), 'oCheck2');
    const good = { access_token: token, openid: 'oCheck2', signature: signature(key), sig_method: 'hmac_sha256' };
    const decodedKeySignature = createHmac('sha256', Buffer.from(key, 'base64')).update('').digest('hex');
    for (const query of [
      { ...good, signature: signature('another-key') },
      { ...good, signature: decodedKeySignature },
      { ...good, signature: '' },
      { ...good, sig_method: 'md5' },
      { ...good, openid: 'oNobody' },
    ]) {
      expect((await checkSession(fake(), query))['errcode']).toBe(87009);
    }
    expect((await checkSession(fake(), { ...good, access_token: '80_unknown' }))['errcode']).toBe(40001);
    expect((await checkSession(fake(), good))['errcode']).toBe(0);
  });
});

describe('encrypted user data', () => {
  const fake = useFake();

  /** The WXBizDataCrypt steps of wechat-api.md §6b, written here independently of the app. */
  function open(sessionKey: string, data: { encryptedData: string; iv: string }): Record<string, unknown> {
    const decipher = createDecipheriv('aes-128-cbc', Buffer.from(sessionKey, 'base64'), Buffer.from(data.iv, 'base64'));
    const plain = Buffer.concat([decipher.update(Buffer.from(data.encryptedData, 'base64')), decipher.final()]);
    return JSON.parse(plain.toString('utf8')) as Record<string, unknown>;
  }

  it('encrypts a payload plus watermark with the current session_key and a fresh iv', async () => {
    const key = await login(fake(), 'oData1');
    const a = fake().encryptUserData('oData1', { stepInfoList: [{ timestamp: 1, step: 42 }] });
    const b = fake().encryptUserData('oData1', { stepInfoList: [{ timestamp: 1, step: 42 }] });
    expect(a.iv).not.toBe(b.iv);
    expect(Buffer.from(a.iv, 'base64')).toHaveLength(16);
    expect(open(key, a)).toEqual({
      stepInfoList: [{ timestamp: 1, step: 42 }],
      watermark: { timestamp: expect.any(Number), appid: fake().appId },
    });
    expect(open(key, fake().encryptPhoneNumber('oData1'))).toMatchObject({
      phoneNumber: '13800138000',
      purePhoneNumber: '13800138000',
      countryCode: '86',
    });
    expect(open(key, fake().encryptUserData('oData1', {}, { appId: 'wxother' }))).toMatchObject({ watermark: { appid: 'wxother' } });
  });

  it('uses the newest session_key: data made before a rotation does not open with the new key', async () => {
    const old = await login(fake(), 'oData2');
    const before = fake().encryptUserData('oData2', { n: 1 });
    const fresh = await login(fake(), 'oData2');
    expect(fresh).not.toBe(old);
    expect(open(fresh, fake().encryptUserData('oData2', { n: 2 }))).toMatchObject({ n: 2 });
    expect(open(old, before)).toMatchObject({ n: 1 });
    expect(() => {
      const opened = open(fresh, before);
      if (opened['n'] === 1) throw new Error('opened with the wrong key');
    }).toThrow();
  });
});
