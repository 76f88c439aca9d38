import { createHash } from 'node:crypto';
import { describe, it, expect, beforeAll, afterAll, beforeEach, afterEach } from '@jest/globals';
import { FakeWechatServer, type FakeWechatOptions } from './fake-wechat.server.js';

interface Reply {
  status: number;
  contentType: string | null;
  text: string;
  json: Record<string, unknown>;
}

const RID = /, rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/;
const START = Date.UTC(2024, 0, 1, 4); // noon in Beijing, far from the daily quota reset

/** A clock the test moves by hand. */
function testClock(): { now: () => number; advance: (seconds: number) => void } {
  let t = START;
  return { now: () => t, advance: (seconds) => (t += seconds * 1000) };
}

async function call(url: string, init?: RequestInit): Promise<Reply> {
  const res = await fetch(url, init);
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // non-JSON bodies (404) keep json empty
  }
  return { status: res.status, contentType: res.headers.get('content-type'), text, json };
}

function get(fake: FakeWechatServer, path: string, query: Record<string, string>): Promise<Reply> {
  return call(`${fake.baseUrl}${path}?${new URLSearchParams(query).toString()}`);
}

function post(fake: FakeWechatServer, path: string, body: unknown, query: Record<string, string> = {}): Promise<Reply> {
  const qs = new URLSearchParams(query).toString();
  return call(`${fake.baseUrl}${path}${qs === '' ? '' : `?${qs}`}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

function login(fake: FakeWechatServer, code: string, overrides: Record<string, string> = {}): Promise<Reply> {
  return get(fake, '/sns/jscode2session', {
    appid: fake.appId,
    secret: fake.appSecret,
    js_code: code,
    grant_type: 'authorization_code',
    ...overrides,
  });
}

function classic(fake: FakeWechatServer, overrides: Record<string, string> = {}): Promise<Reply> {
  return get(fake, '/cgi-bin/token', {
    grant_type: 'client_credential',
    appid: fake.appId,
    secret: fake.appSecret,
    ...overrides,
  });
}

function stable(fake: FakeWechatServer, forceRefresh = false, overrides: Record<string, unknown> = {}): Promise<Reply> {
  return post(fake, '/cgi-bin/stable_token', {
    grant_type: 'client_credential',
    appid: fake.appId,
    secret: fake.appSecret,
    force_refresh: forceRefresh,
    ...overrides,
  });
}

async function token(reply: Promise<Reply>): Promise<string> {
  const { json } = await reply;
  expect(typeof json['access_token']).toBe('string');
  return json['access_token'] as string;
}

function subscribe(fake: FakeWechatServer, accessToken: string, body: Record<string, unknown>): Promise<Reply> {
  return post(fake, '/cgi-bin/message/subscribe/send', body, { access_token: accessToken });
}

function legacy(fake: FakeWechatServer, accessToken: string, body: Record<string, unknown>): Promise<Reply> {
  return post(fake, '/cgi-bin/message/wxopen/template/send', body, { access_token: accessToken });
}

/** Starts a fake for the block (or for each of its tests) and closes it after. */
function useFake(options: FakeWechatOptions = {}, scope: 'all' | 'each' = 'all'): () => FakeWechatServer {
  let fake: FakeWechatServer | undefined;
  (scope === 'all' ? beforeAll : beforeEach)(async () => {
    fake = await FakeWechatServer.start(options);
  });
  (scope === 'all' ? afterAll : afterEach)(async () => {
    await fake?.close();
  });
  return () => {
    if (fake === undefined) throw new Error('fake not started');
    return fake;
  };
}

describe('GET /sns/jscode2session', () => {
  const clock = testClock();
  const fake = useFake({ now: clock.now });

  it('exchanges an issued code once, as text/plain JSON, with or without errcode 0', async () => {
    const first = await login(fake(), fake().issueLoginCode('oUser1', { unionid: 'uUnion1' }));
    const second = await login(fake(), fake().issueLoginCode('oUser2'));

    expect(first.status).toBe(200);
    expect(first.contentType).toMatch(/^text\/plain/);
    expect(first.json).toEqual({
      openid: 'oUser1',
      unionid: 'uUnion1',
      session_key: fake().sessionKey('oUser1'),
      errcode: 0,
      errmsg: 'ok',
    });
    expect(Buffer.from(first.json['session_key'] as string, 'base64')).toHaveLength(16);
    expect(second.json).toEqual({ openid: 'oUser2', session_key: fake().sessionKey('oUser2') });
  });

  it('answers 40163 when a code is used again', async () => {
    const code = fake().issueLoginCode('oUser3');
    await login(fake(), code);
    const reuse = await login(fake(), code);

    expect(reuse.status).toBe(200);
    expect(reuse.json['errcode']).toBe(40163);
    expect(reuse.json['errmsg']).toMatch(/^code been used/);
    expect(reuse.json['errmsg']).toMatch(RID);
    expect(reuse.json).not.toHaveProperty('openid');
  });

  it('expires codes after 300 s', async () => {
    const fresh = fake().issueLoginCode('oUser4');
    const stale = fake().issueLoginCode('oUser4');
    clock.advance(299);
    expect((await login(fake(), fresh)).json['openid']).toBe('oUser4');
    clock.advance(2);
    expect((await login(fake(), stale)).json['errcode']).toBe(40029);
  });

  it('rotates the session_key with every new code for the same user', async () => {
    const a = await login(fake(), fake().issueLoginCode('oUser5'));
    const b = await login(fake(), fake().issueLoginCode('oUser5'));

    expect(a.json['session_key']).not.toBe(b.json['session_key']);
    expect(fake().sessionKey('oUser5')).toBe(b.json['session_key']);
  });

  it('answers 40029 for a code it never issued', async () => {
    expect((await login(fake(), 'never-issued')).json['errcode']).toBe(40029);
  });

  it.each([
    ['invalid-x', 40029],
    ['ratelimit-x', 45011],
    ['busy-x', -1],
    ['blocked-x', 40226],
  ])('fails code %s with %i', async (code, errcode) => {
    const reply = await login(fake(), code);
    expect(reply.json['errcode']).toBe(errcode);
    expect(reply.json['errmsg']).toMatch(RID);
  });

  it.each([
    ['wrong appid', { appid: 'wxother' }, 40013],
    ['wrong secret', { secret: 'nope' }, 40125],
    ['missing js_code', { js_code: '' }, 41008],
    ['wrong grant_type', { grant_type: 'client_credential' }, 40002],
  ])('answers %s with %i', async (_case, overrides, errcode) => {
    const reply = await login(fake(), fake().issueLoginCode('oUser6'), overrides);
    expect(reply.json['errcode']).toBe(errcode);
  });
});

describe('GET /sns/jscode2session with acceptAnyCode', () => {
  const fake = useFake({ acceptAnyCode: true });

  it('accepts an unknown code once, with an openid derived from it', async () => {
    const expected = `o${createHash('sha256').update('dev-code-1').digest('base64url').slice(0, 27)}`;
    const first = await login(fake(), 'dev-code-1');
    const again = await login(fake(), 'dev-code-1');

    expect(first.json['openid']).toBe(expected);
    expect(first.json['openid']).toHaveLength(28);
    expect(again.json['errcode']).toBe(40163);
    expect((await login(fake(), 'invalid-still-fails')).json['errcode']).toBe(40029);
  });

  it('gives the codes `user:<name>:<anything>` one openid per name, each code still once', async () => {
    const alice1 = await login(fake(), 'user:alice:1');
    const alice2 = await login(fake(), 'user:alice:2');
    const bob = await login(fake(), 'user:bob:1');

    expect(alice1.json['openid']).toBe(`o${createHash('sha256').update('user:alice').digest('base64url').slice(0, 27)}`);
    expect(alice2.json['openid']).toBe(alice1.json['openid']);
    expect(bob.json['openid']).not.toBe(alice1.json['openid']);
    expect((await login(fake(), 'user:alice:1')).json['errcode']).toBe(40163);
    // Without a part after the name it is an ordinary code: a user of its own.
    expect((await login(fake(), 'user:alice:')).json['openid']).not.toBe(alice1.json['openid']);
  });
});

describe('GET /cgi-bin/token', () => {
  const clock = testClock();
  const fake = useFake({ now: clock.now, classicDailyQuota: 2 }, 'each');
  const probe = (accessToken: string): Promise<Reply> => subscribe(fake(), accessToken, { touser: 'oNobody' });

  it.each([
    ['wrong appid', { appid: 'wxother' }, 40013],
    ['wrong secret', { secret: 'nope' }, 40001],
    ['wrong grant_type', { grant_type: 'authorization_code' }, 40002],
  ])('answers %s with %i', async (_case, overrides, errcode) => {
    expect((await classic(fake(), overrides)).json['errcode']).toBe(errcode);
  });

  it('rotates on every call, keeping the previous token for 300 s, then 42001 at expiry', async () => {
    const first = await classic(fake());
    expect(first.json['expires_in']).toBe(7200);
    const old = first.json['access_token'] as string;
    const current = await token(classic(fake()));
    expect(current).not.toBe(old);
    expect(old.length).toBeGreaterThan(100);

    clock.advance(299);
    expect((await probe(old)).json['errcode']).toBe(40003); // token accepted, then the unknown user fails
    clock.advance(2);
    const replaced = await probe(old);
    expect(replaced.json['errcode']).toBe(40001);
    expect(replaced.json['errmsg']).toMatch(/^invalid credential, access_token is invalid or not latest/);
    expect((await probe(current)).json['errcode']).toBe(40003);
    expect(fake().currentTokens()).toEqual([current]);

    clock.advance(7200);
    expect((await probe(current)).json['errcode']).toBe(42001);
  });

  it('answers 45009 past the daily quota, until the next day', async () => {
    await classic(fake());
    await classic(fake());
    const over = await classic(fake());
    expect(over.json['errcode']).toBe(45009);
    expect(over.json['errmsg']).toMatch(/^reach max api daily quota limit/);

    clock.advance(86_400);
    expect((await classic(fake())).json['expires_in']).toBe(7200);
  });
});

describe('POST /cgi-bin/stable_token', () => {
  const clock = testClock();
  const fake = useFake({ now: clock.now }, 'each');
  const probe = (accessToken: string): Promise<Reply> => subscribe(fake(), accessToken, { touser: 'oNobody' });

  it('returns the same token in normal mode, untouched by /cgi-bin/token', async () => {
    const first = await stable(fake());
    expect(first.json['expires_in']).toBe(7200);
    await classic(fake());
    clock.advance(100);
    const second = await stable(fake());

    expect(second.json['access_token']).toBe(first.json['access_token']);
    expect(second.json['expires_in']).toBe(7100);
    expect((await probe(first.json['access_token'] as string)).json['errcode']).toBe(40003);
  });

  it('hands out the next token in the last 300 s, the old one living until its own expiry', async () => {
    const old = await token(stable(fake()));
    clock.advance(6899);
    const late = await stable(fake());
    expect(late.json).toEqual({ access_token: old, expires_in: 301 });

    clock.advance(1);
    const next = await stable(fake());
    expect(next.json['access_token']).not.toBe(old);
    expect(next.json['expires_in']).toBe(7200);
    expect((await probe(old)).json['errcode']).toBe(40003);
    expect(await token(stable(fake()))).toBe(next.json['access_token']);

    clock.advance(300);
    expect((await probe(old)).json['errcode']).toBe(42001);
  });

  it('force_refresh rotates at once and kills the old token, at most every 30 s and 20 times a day', async () => {
    const old = await token(stable(fake()));
    const forced = await token(stable(fake(), true));
    expect(forced).not.toBe(old);
    expect((await probe(old)).json['errcode']).toBe(40001);

    clock.advance(29);
    expect(await token(stable(fake(), true))).toBe(forced);
    clock.advance(1);
    let latest = await token(stable(fake(), true));
    expect(latest).not.toBe(forced);

    for (let i = 3; i <= 20; i++) {
      clock.advance(30);
      latest = await token(stable(fake(), true));
    }
    clock.advance(30);
    expect(await token(stable(fake(), true))).toBe(latest);
    expect((await probe(latest)).json['errcode']).toBe(40003);
  });

  it('checks credentials, method and body format', async () => {
    expect((await stable(fake(), false, { secret: 'nope' })).json['errcode']).toBe(40125);
    expect((await stable(fake(), false, { appid: 'wxother' })).json['errcode']).toBe(40013);
    expect((await stable(fake(), false, { grant_type: 'x' })).json['errcode']).toBe(40002);
    expect((await call(`${fake().baseUrl}/cgi-bin/stable_token`)).json['errcode']).toBe(43002);
    const form = await call(`${fake().baseUrl}/cgi-bin/stable_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=client_credential&appid=${fake().appId}&secret=${fake().appSecret}`,
    });
    expect(form.json['errcode']).toBe(47001);
  });
});

describe('access_token checks on send endpoints', () => {
  const fake = useFake();

  it('answers 41001 when missing, 40014 when malformed, 40001 when unknown', async () => {
    const send = `${fake().baseUrl}/cgi-bin/message/subscribe/send`;
    const init = { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' };
    expect((await call(send, init)).json['errcode']).toBe(41001);
    expect((await call(`${send}?access_token=`, init)).json['errcode']).toBe(40014);
    expect((await call(`${send}?access_token=has%20space`, init)).json['errcode']).toBe(40014);
    expect((await call(`${send}?access_token=80_unknown`, init)).json['errcode']).toBe(40001);
  });

  it('answers 40001 after invalidateTokens and 42001 after expireTokens', async () => {
    const a = await token(classic(fake()));
    const b = await token(stable(fake()));
    expect(fake().currentTokens()).toEqual(expect.arrayContaining([a, b]));
    fake().invalidateTokens();
    expect(fake().currentTokens()).toEqual([]);
    expect((await legacy(fake(), a, {})).json['errcode']).toBe(40001);
    expect((await subscribe(fake(), b, {})).json['errcode']).toBe(40001);

    const c = await token(classic(fake()));
    const d = await token(stable(fake()));
    expect(d).not.toBe(b);
    fake().expireTokens();
    expect((await subscribe(fake(), c, {})).json['errcode']).toBe(42001);
    expect((await legacy(fake(), d, {})).json['errcode']).toBe(42001);
    expect((await subscribe(fake(), a, {})).json['errcode']).toBe(40001);
  });
});

describe('POST /cgi-bin/message/subscribe/send', () => {
  const fake = useFake();
  let accessToken = '';
  const message = {
    touser: 'oSub1',
    template_id: 'TPL_ORDER',
    page: 'pages/order/detail?id=42',
    miniprogram_state: 'trial',
    lang: 'zh_CN',
    data: { thing1: { value: '您的餐品已出餐' }, amount2: { value: '¥12.50' } },
  };

  beforeAll(async () => {
    accessToken = await token(stable(fake()));
    fake().addTemplate('TPL_ORDER', ['thing1', 'amount2', 'time3']);
  });
  beforeEach(() => {
    fake().allowPages(null);
  });

  it('accepts a send once per credit, with an int64 msgid beyond 2^53 in the raw JSON', async () => {
    fake().acceptSubscription('oSub1', 'TPL_ORDER');
    const ok = await subscribe(fake(), accessToken, message);

    expect(ok.contentType).toMatch(/^application\/json/);
    expect(ok.json).toMatchObject({ errcode: 0, errmsg: 'ok' });
    const digits = /"msgid":(\d+)\}$/.exec(ok.text)?.[1] ?? '';
    expect(digits.length).toBeGreaterThan(16);
    expect(BigInt(digits) > 2n ** 53n).toBe(true);
    expect(String(ok.json['msgid'])).not.toBe(digits); // JSON.parse loses the precision
    expect(fake().messages.at(-1)).toEqual({
      kind: 'subscribe',
      touser: 'oSub1',
      templateId: 'TPL_ORDER',
      page: 'pages/order/detail?id=42',
      data: { thing1: { value: '您的餐品已出餐' }, amount2: { value: '¥12.50' } },
      miniprogramState: 'trial',
      lang: 'zh_CN',
      msgid: digits,
      accessToken,
      at: expect.any(Number),
    });

    const refused = await subscribe(fake(), accessToken, message);
    expect(refused.json['errcode']).toBe(43101);
    expect(refused.json['errmsg']).toMatch(/^user refuse to accept the msg/);
  });

  it('answers 40003 for an unknown openid before looking at the template', async () => {
    const reply = await subscribe(fake(), accessToken, { ...message, touser: 'oStranger', template_id: 'TPL_NONE' });
    expect(reply.json['errcode']).toBe(40003);
  });

  it('answers 40037 for an unknown template', async () => {
    fake().registerUser('oSub2');
    const reply = await subscribe(fake(), accessToken, { ...message, touser: 'oSub2', template_id: 'TPL_NONE' });
    expect(reply.json['errcode']).toBe(40037);
  });

  it.each([
    ['a key the template lacks', { thing9: { value: 'x' } }, 'thing9'],
    ['a value breaking its keyword rule', { thing1: { value: '一二三四五六七八九十一二三四五六七八九十一' } }, 'thing1'],
    ['a non-string value', { amount2: { value: 12.5 } }, 'amount2'],
  ])('answers 47003 for %s, without spending credit', async (_case, data, key) => {
    fake().acceptSubscription('oSub3', 'TPL_ORDER');
    const reply = await subscribe(fake(), accessToken, { ...message, touser: 'oSub3', data });
    expect(reply.json['errcode']).toBe(47003);
    expect(reply.json['errmsg']).toMatch(new RegExp(`^argument invalid! data\\.${key}\\.value invalid, rid: `));
    expect((await subscribe(fake(), accessToken, { ...message, touser: 'oSub3' })).json['errcode']).toBe(0);
  });

  it('answers 47003 for an unknown miniprogram_state', async () => {
    fake().acceptSubscription('oSub4', 'TPL_ORDER');
    const reply = await subscribe(fake(), accessToken, { ...message, touser: 'oSub4', miniprogram_state: 'release' });
    expect(reply.json['errcode']).toBe(47003);
  });

  it('answers 41030 for a page outside the allow-list, ignoring the query string', async () => {
    fake().acceptSubscription('oSub5', 'TPL_ORDER');
    fake().allowPages(['pages/index/index']);
    const denied = await subscribe(fake(), accessToken, { ...message, touser: 'oSub5' });
    const allowed = await subscribe(fake(), accessToken, { ...message, touser: 'oSub5', page: 'pages/index/index?from=push' });

    expect(denied.json['errcode']).toBe(41030);
    expect(allowed.json['errcode']).toBe(0);
  });

  it('answers 43002 to GET and 47001 to a body that is not JSON', async () => {
    const url = `${fake().baseUrl}/cgi-bin/message/subscribe/send?access_token=${encodeURIComponent(accessToken)}`;
    expect((await call(url)).json['errcode']).toBe(43002);
    const text = await call(url, { method: 'POST', body: JSON.stringify(message) }); // fetch labels it text/plain
    const broken = await call(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"touser":' });
    expect(text.json['errcode']).toBe(47001);
    expect(broken.json['errcode']).toBe(47001);
    expect(broken.json['errmsg']).toMatch(/^data format error, rid: /);
  });
});

describe('POST /cgi-bin/message/subscribe/send with openSubscriptions', () => {
  const fake = useFake({ openSubscriptions: true });

  it('accepts any openid and template without credit, still checking values', async () => {
    const accessToken = await token(classic(fake()));
    const body = { touser: 'oAnyone', template_id: 'TPL_ANY', data: { phrase1: { value: '配送中' } } };
    expect((await subscribe(fake(), accessToken, body)).json['errcode']).toBe(0);
    expect((await subscribe(fake(), accessToken, body)).json['errcode']).toBe(0);
    const bad = await subscribe(fake(), accessToken, { ...body, data: { phrase1: { value: 'done' } } });
    expect(bad.json['errcode']).toBe(47003);
    expect(fake().messages).toHaveLength(2);
  });
});

describe('POST /cgi-bin/message/wxopen/template/send (legacy)', () => {
  const clock = testClock();
  const fake = useFake({ now: clock.now });
  let accessToken = '';
  const body = (formId: string, touser = 'oLegacy1'): Record<string, unknown> => ({
    touser,
    template_id: 'TPL_LEGACY',
    form_id: formId,
    page: 'pages/index/index',
    data: { keyword1: { value: ' free text, no type rules ', color: '#173177' } },
    emphasis_keyword: 'keyword1.DATA',
  });

  beforeAll(async () => {
    accessToken = await token(classic(fake()));
    fake().addTemplate('TPL_LEGACY');
    fake().registerUser('oLegacy2');
  });

  it('accepts a form_id once, then answers 41029', async () => {
    const formId = fake().issueFormId('oLegacy1');
    const ok = await legacy(fake(), accessToken, body(formId));
    const reused = await legacy(fake(), accessToken, body(formId));

    expect(ok.json).toMatchObject({ errcode: 0, errmsg: 'ok' });
    expect(ok.text).toMatch(/"msgid":\d{17,}\}$/);
    expect(fake().messages.at(-1)).toMatchObject({
      kind: 'legacy',
      touser: 'oLegacy1',
      templateId: 'TPL_LEGACY',
      formId,
      data: { keyword1: { value: ' free text, no type rules ' } },
    });
    expect(reused.json['errcode']).toBe(41029);
  });

  it('answers 41028 for an unknown form_id, another user’s form_id, or one older than 7 days', async () => {
    const other = fake().issueFormId('oLegacy2');
    const old = fake().issueFormId('oLegacy1');
    expect((await legacy(fake(), accessToken, body('not-issued'))).json['errcode']).toBe(41028);
    expect((await legacy(fake(), accessToken, body(other))).json['errcode']).toBe(41028);
    clock.advance(7 * 86_400 + 1);
    expect((await legacy(fake(), await token(classic(fake())), body(old))).json['errcode']).toBe(41028);
  });

  it('answers 40003, 40037 and 41030 like subscribe sends', async () => {
    const fresh = await token(classic(fake()));
    const formId = fake().issueFormId('oLegacy1');
    fake().allowPages(['pages/other/other']);
    expect((await legacy(fake(), fresh, body(formId, 'oStranger'))).json['errcode']).toBe(40003);
    expect((await legacy(fake(), fresh, { ...body(formId), template_id: 'TPL_NONE' })).json['errcode']).toBe(40037);
    expect((await legacy(fake(), fresh, body(formId))).json['errcode']).toBe(41030);
    fake().allowPages(null);
    expect((await legacy(fake(), fresh, body(formId))).json['errcode']).toBe(0);
  });
});

describe('fault injection and transport', () => {
  const fake = useFake();

  it('failNext injects an errcode for the next N calls, and calls() counts every request', async () => {
    fake().resetCalls();
    fake().failNext('token', -1, 2);
    fake().failNext('token', 45009);
    const replies = [];
    for (let i = 0; i < 4; i++) replies.push((await classic(fake())).json);

    expect(replies.map((json) => json['errcode'])).toEqual([-1, -1, 45009, undefined]);
    expect(replies[0]?.['errmsg']).toMatch(/^system error, rid: /);
    expect(replies[3]?.['expires_in']).toBe(7200);
    expect(fake().calls('token')).toBe(4);
    expect(fake().calls('stable_token')).toBe(0);
    fake().resetCalls();
    expect(fake().calls('token')).toBe(0);
  });

  it('answers 404 for an unknown path', async () => {
    expect((await call(`${fake().baseUrl}/cgi-bin/nope`)).status).toBe(404);
  });

  it('delays every response by the latency', async () => {
    fake().setLatency(120);
    const started = performance.now();
    const reply = await classic(fake());
    const elapsed = performance.now() - started;
    fake().setLatency(0);

    expect(reply.json['expires_in']).toBe(7200);
    expect(elapsed).toBeGreaterThanOrEqual(110);
    expect(fake().calls('token')).toBe(1);
  });

  it('resets connections while down, kept-alive and new ones alike', async () => {
    const networkError = {
      message: 'fetch failed',
      cause: { code: expect.stringMatching(/^(ECONNRESET|EPIPE|UND_ERR_SOCKET)$/) },
    };
    await classic(fake()); // leaves a keep-alive connection open
    fake().takeDown();
    await expect(classic(fake())).rejects.toMatchObject(networkError);
    await expect(classic(fake())).rejects.toMatchObject(networkError);
    fake().bringUp();
    expect((await classic(fake())).json['expires_in']).toBe(7200);
  });

  it('resets a request that is waiting out the latency when taken down', async () => {
    fake().setLatency(100);
    const pending = classic(fake());
    const settled = expect(pending).rejects.toThrow('fetch failed');
    const before = fake().calls('token');
    while (fake().calls('token') === before) await new Promise((resolve) => setTimeout(resolve, 5));
    fake().takeDown();
    await settled;
    fake().bringUp();
    fake().setLatency(0);
    expect((await classic(fake())).json['expires_in']).toBe(7200);
  });

  it('closes promptly with a delayed request in flight', async () => {
    const slow = await FakeWechatServer.start();
    slow.setLatency(10_000);
    const pending = classic(slow);
    const settled = expect(pending).rejects.toThrow('fetch failed');
    while (slow.calls('token') === 0) await new Promise((resolve) => setTimeout(resolve, 5));

    const started = performance.now();
    await slow.close();
    expect(performance.now() - started).toBeLessThan(1000);
    await settled;
  });
});
