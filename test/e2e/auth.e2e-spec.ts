import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { sessionKeys } from '../../src/auth/session.keys.js';
import { KeyValueStore } from '../../src/redis/key-value.store.js';
import { startTestApp, type TestApp, uniqueOpenid } from '../support/test-app.js';

const SERVICE_TOKEN = 'svc-token-0123456789abcdefghijklmnopqrstuvwxyz';

describe('login, session and guard', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { SERVICE_TOKENS: `billing=${SERVICE_TOKEN}` } });
  });
  afterAll(() => t.close());

  async function login(openid = uniqueOpenid(), unionid?: string) {
    const code = t.fake.issueLoginCode(openid, unionid ? { unionid } : undefined);
    const res = await request(t.url).post('/auth/login').send({ code }).expect(200);
    return { openid, res, token: res.body.token as string };
  }

  it('logs in, upserts the user and returns a token in the body and the Authorization header', async () => {
    const { openid, res, token } = await login(undefined, 'union-1');
    expect(res.body).toEqual({
      token,
      expiresIn: 604800,
      user: {
        id: expect.any(Number),
        openid,
        unionid: 'union-1',
        nickname: null,
        avatarUrl: null,
        phoneNumber: null,
        countryCode: null,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      },
    });
    // <user id>.<32 base64url chars>: the id routes the one store read to the user's slot; the rest is 192 random bits.
    expect(token).toMatch(new RegExp(`^${res.body.user.id}\\.[A-Za-z0-9_-]{32}$`));
    expect(res.headers.authorization).toBe(token);
    expect(JSON.stringify(res.body) + JSON.stringify(res.headers)).not.toMatch(/session_?key/i);

    const me = await request(t.url).get('/users/me').set('Authorization', `Bearer ${token}`).expect(200);
    expect(me.body).toEqual(res.body.user);
    await request(t.url).get('/users/me').set('Authorization', token).expect(200);
  });

  it('accepts js_code as an alias of code', async () => {
    const openid = uniqueOpenid();
    const res = await request(t.url)
      .post('/auth/login')
      .send({ js_code: t.fake.issueLoginCode(openid) })
      .expect(200);
    expect(res.body.user).toMatchObject({ openid, unionid: null });
  });

  it('keeps one user row per openid and earlier sessions valid across logins', async () => {
    const first = await login();
    const second = await login(first.openid);
    expect(second.res.body.user.id).toBe(first.res.body.user.id);
    expect(second.token).not.toBe(first.token);
    await request(t.url).get('/users/me').set('Authorization', first.token).expect(200);
    await request(t.url).get('/users/me').set('Authorization', second.token).expect(200);
  });

  it.each([
    ['missing', {}],
    ['empty', { code: '' }],
    ['non-string', { code: 123 }],
    ['too long', { code: 'c'.repeat(257) }],
    ['unknown field', { code: 'abc', extra: 1 }],
  ])('rejects a %s code with 400 before calling WeChat', async (_name, body) => {
    const before = t.fake.calls('jscode2session');
    const res = await request(t.url).post('/auth/login').send(body).expect(400);
    expect(res.body).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED' });
    expect(t.fake.calls('jscode2session')).toBe(before);
  });

  it.each([
    ['invalid-abc', 401, 'WECHAT_INVALID_CODE', 40029],
    ['ratelimit-abc', 429, 'WECHAT_RATE_LIMITED', 45011],
    ['blocked-abc', 403, 'WECHAT_CODE_BLOCKED', 40226],
    ['busy-abc', 503, 'WECHAT_BUSY', -1],
  ])('maps WeChat errors: %s → %i', async (code, status, errorCode, errcode) => {
    const res = await request(t.url).post('/auth/login').send({ code }).expect(status);
    expect(res.body).toMatchObject({ statusCode: status, code: errorCode, errcode });
  });

  it('passes an opaque code to WeChat unchanged: a never-issued code is 401', async () => {
    const res = await request(t.url).post('/auth/login').send({ code: 'a b/c?d=e&f' }).expect(401);
    expect(res.body.code).toBe('WECHAT_INVALID_CODE');
  });

  it('calls jscode2session once per code: a retried code gives the same user without a second call', async () => {
    const openid = uniqueOpenid();
    const code = t.fake.issueLoginCode(openid);
    const before = t.fake.calls('jscode2session');
    const a = await request(t.url).post('/auth/login').send({ code }).expect(200);
    const b = await request(t.url).post('/auth/login').send({ code }).expect(200);
    expect(b.body.user.id).toBe(a.body.user.id);
    expect(t.fake.calls('jscode2session')).toBe(before + 1);
  });

  it('rejects missing, malformed and unknown tokens with 401', async () => {
    for (const header of [undefined, '', 'Bearer', 'Bearer not-a-token', '3b241101-e2bb-4255-8caf-4136c566a962', `1.${'A'.repeat(32)}`]) {
      const req = request(t.url).get('/users/me');
      const res = await (header === undefined ? req : req.set('Authorization', header)).expect(401);
      expect(res.body).toMatchObject({ statusCode: 401, code: expect.stringMatching(/^AUTH_TOKEN_(MISSING|INVALID)$/) });
    }
  });

  it('logs out: 204 and the token stops working at once', async () => {
    const { token } = await login();
    await request(t.url).post('/auth/logout').set('Authorization', `Bearer ${token}`).expect(204);
    await request(t.url).get('/users/me').set('Authorization', token).expect(401);
  });

  it('keys sessions by a hash of the token, never the token itself', async () => {
    const { token, res } = await login();
    const userId = res.body.user.id as number;
    const store = t.app.get(KeyValueStore);
    expect(await store.get(sessionKeys.session(userId, token))).toBeNull();
    const raw = await store.get(sessionKeys.session(userId, createHash('sha256').update(token).digest('base64url')));
    expect(raw).not.toBeNull();
    expect(raw).not.toContain(token);
    expect(raw).not.toMatch(/session_?key/i);
  });

  it('authenticates a service token, which is not a user', async () => {
    const res = await request(t.url).get('/users/me').set('Authorization', `Bearer ${SERVICE_TOKEN}`).expect(403);
    expect(res.body).toEqual({ statusCode: 403, code: 'USER_SESSION_REQUIRED', message: 'Only a user session has a profile' });
    const logout = await request(t.url).post('/auth/logout').set('Authorization', `Bearer ${SERVICE_TOKEN}`).expect(403);
    expect(logout.body).toEqual({ statusCode: 403, code: 'USER_SESSION_REQUIRED', message: 'Only a user session can log out' });
  });
});

describe('session expiry', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { SESSION_TTL_SECONDS: '1' } });
  });
  afterAll(() => t.close());

  it('answers 401 once the session TTL has passed', async () => {
    const code = t.fake.issueLoginCode(uniqueOpenid());
    const res = await request(t.url).post('/auth/login').send({ code }).expect(200);
    expect(res.body.expiresIn).toBe(1);
    await request(t.url).get('/users/me').set('Authorization', res.body.token).expect(200);
    await sleep(1300);
    await request(t.url).get('/users/me').set('Authorization', res.body.token).expect(401);
  });
});
