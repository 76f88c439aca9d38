import request from 'supertest';
import { sessionKeys } from '../../src/auth/session.keys.js';
import { KeyValueStore } from '../../src/redis/key-value.store.js';
import { FakeWechatServer } from '../../src/sandbox/fake-wechat.server.js';
import { describeWithServices } from '../support/backends.js';
import { OwnMariadb } from '../support/service-processes.js';
import { closeTwoApps, startTwoApps, type TestApp, uniqueOpenid } from '../support/test-app.js';
import { appOnOwnMariadb, closeAppAndOwnServer } from '../support/own-services.js';

const SERVICE_TOKEN = 'svc-token-sessions-0123456789abcdefghijklmnop';
const MAX_PER_USER = 3;

describeWithServices({ mysql: true, redis: true }, 'sessions v2 on two instances (MySQL + Redis)', () => {
  let fake: FakeWechatServer;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    ({ fake, a, b } = await startTwoApps({ env: { SERVICE_TOKENS: `ops=${SERVICE_TOKEN}`, SESSION_MAX_PER_USER: String(MAX_PER_USER) } }));
  });
  afterAll(() => closeTwoApps({ fake, a, b }));

  async function login(app: TestApp, openid: string, unionid?: string) {
    const res = await request(app.url)
      .post('/auth/login')
      .send({ code: fake.issueLoginCode(openid, unionid ? { unionid } : undefined) })
      .expect(200);
    return { token: res.body.token as string, user: res.body.user as { id: number; openid: string; unionid: string | null } };
  }
  const me = (app: TestApp, token: string) => request(app.url).get('/users/me').set('Authorization', `Bearer ${token}`);

  it('POST /auth/logout-all ends every session of the user on every instance, and only those', async () => {
    const openid = uniqueOpenid();
    const first = await login(a, openid);
    const second = await login(b, openid);
    const other = await login(a, uniqueOpenid());
    await me(a, second.token).expect(200);

    await request(b.url).post('/auth/logout-all').set('Authorization', first.token).expect(204);

    for (const app of [a, b]) {
      for (const token of [first.token, second.token]) {
        const res = await me(app, token).expect(401);
        expect(res.body.code).toBe('AUTH_TOKEN_INVALID');
      }
      await me(app, other.token).expect(200);
    }
    const again = await login(b, openid);
    expect(again.user.id).toBe(first.user.id);
    await me(a, again.token).expect(200);
  });

  it('POST /auth/logout-all is for users: a service token gets 403, no token 401', async () => {
    const res = await request(a.url).post('/auth/logout-all').set('Authorization', SERVICE_TOKEN).expect(403);
    expect(res.body.code).toBe('USER_SESSION_REQUIRED');
    await request(a.url).post('/auth/logout-all').expect(401);
  });

  it('DELETE /users/{id}/sessions (service) ends every session of that user; 404 for an unknown id; 403 for a user', async () => {
    const openid = uniqueOpenid();
    const one = await login(a, openid);
    const two = await login(b, openid);
    const bystander = await login(b, uniqueOpenid());

    const forbidden = await request(a.url).delete(`/users/${one.user.id}/sessions`).set('Authorization', bystander.token).expect(403);
    expect(forbidden.body.code).toBe('SERVICE_TOKEN_REQUIRED');
    await me(b, one.token).expect(200);

    await request(a.url).delete(`/users/${one.user.id}/sessions`).set('Authorization', `Bearer ${SERVICE_TOKEN}`).expect(204);
    for (const app of [a, b]) {
      await me(app, one.token).expect(401);
      await me(app, two.token).expect(401);
      await me(app, bystander.token).expect(200);
    }

    const unknown = await request(b.url).delete('/users/2147480000/sessions').set('Authorization', SERVICE_TOKEN).expect(404);
    expect(unknown.body).toMatchObject({ statusCode: 404, code: 'USER_NOT_FOUND' });
    await request(b.url).delete('/users/abc/sessions').set('Authorization', SERVICE_TOKEN).expect(400);
  });

  it(`keeps at most SESSION_MAX_PER_USER (${MAX_PER_USER}) sessions per user: the oldest ends first`, async () => {
    const openid = uniqueOpenid();
    const tokens: string[] = [];
    for (let i = 0; i < MAX_PER_USER + 2; i += 1) tokens.push((await login(i % 2 ? a : b, openid)).token);
    const statuses = await Promise.all(tokens.map(async (token) => (await me(a, token)).status));
    expect(statuses).toEqual([401, 401, ...Array(MAX_PER_USER).fill(200)]);
    // A logout frees a place: the next login ends nobody.
    await request(b.url).post('/auth/logout').set('Authorization', tokens[2]).expect(204);
    const next = await login(a, openid);
    const after = await Promise.all([...tokens.slice(3), next.token].map(async (token) => (await me(b, token)).status));
    expect(after).toEqual(Array(MAX_PER_USER).fill(200));
  });

  it('makes one jscode2session call for concurrent logins with the same code on both instances, all 200 for the same user', async () => {
    const openid = uniqueOpenid();
    const code = fake.issueLoginCode(openid);
    const before = fake.calls('jscode2session');
    fake.setLatency(300);
    let responses;
    try {
      responses = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          request(i % 2 ? a.url : b.url)
            .post('/auth/login')
            .send({ code }),
        ),
      );
    } finally {
      fake.setLatency(0);
    }
    expect(fake.calls('jscode2session')).toBe(before + 1);
    expect(responses.map((r) => r.status)).toEqual(Array(12).fill(200));
    expect(new Set(responses.map((r) => r.body.user.id)).size).toBe(1);
    expect(responses[0].body.user.openid).toBe(openid);
    expect(new Set(responses.map((r) => r.body.token)).size).toBe(12);
  });

  it('answers the same refusal to every concurrent login of a code WeChat refuses, with one call', async () => {
    const before = fake.calls('jscode2session');
    fake.setLatency(200);
    let responses;
    try {
      const code = `never-issued-${uniqueOpenid()}`;
      responses = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          request(i % 2 ? a.url : b.url)
            .post('/auth/login')
            .send({ code }),
        ),
      );
    } finally {
      fake.setLatency(0);
    }
    expect(fake.calls('jscode2session')).toBe(before + 1);
    expect(responses.map((r) => [r.status, r.body.code])).toEqual(Array(6).fill([401, 'WECHAT_INVALID_CODE']));
  });

  it('shows a change to the user made on instance A at once in a session read on instance B', async () => {
    const openid = uniqueOpenid();
    const old = await login(b, openid);
    expect((await me(b, old.token).expect(200)).body.unionid).toBeNull();

    // WeChat now sends a unionid: the login on A writes it to the user, and every live session learns it.
    const changed = await login(a, openid, `union-${openid}`);
    expect(changed.user.unionid).toBe(`union-${openid}`);
    const seen = await me(b, old.token).expect(200);
    expect(seen.body).toMatchObject({ id: old.user.id, openid, unionid: `union-${openid}` });
  });
});

describeWithServices({ redis: true }, 'sessions with the database stalled (own MariaDB, SIGSTOP)', () => {
  let db: OwnMariadb;
  let t: TestApp;
  beforeAll(async () => ({ t, db } = await appOnOwnMariadb()), 60_000);
  afterAll(() => closeAppAndOwnServer(t, db));

  it('never trusts a stored snapshot of another openid (a store that outlived its database): the first user of a fresh database is itself', async () => {
    const stale = {
      id: 1,
      openid: 'o-someone-else',
      unionid: null,
      nickname: null,
      avatarUrl: null,
      phoneNumber: null,
      countryCode: null,
      createdAt: '2020-01-01T00:00:00.000Z',
      updatedAt: '2020-01-01T00:00:00.000Z',
    };
    await t.app.get(KeyValueStore).set(sessionKeys.user(1), JSON.stringify(stale), 60_000);
    const openid = uniqueOpenid();
    const res = await request(t.url)
      .post('/auth/login')
      .send({ code: t.fake.issueLoginCode(openid) })
      .expect(200);
    expect(res.body.user).toEqual({
      id: 1,
      openid,
      unionid: null,
      nickname: null,
      avatarUrl: null,
      phoneNumber: null,
      countryCode: null,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const me = await request(t.url).get('/users/me').set('Authorization', res.body.token).expect(200);
    expect(me.body.openid).toBe(openid);
  });

  it('answers GET /users/me 200 within 1 s and a repeat login 200, with no database read', async () => {
    const openid = uniqueOpenid();
    const first = await request(t.url)
      .post('/auth/login')
      .send({ code: t.fake.issueLoginCode(openid) })
      .expect(200);
    db.pause();
    try {
      const started = Date.now();
      const res = await request(t.url).get('/users/me').set('Authorization', first.body.token);
      const elapsed = Date.now() - started;
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        id: first.body.user.id,
        openid,
        unionid: null,
        nickname: null,
        avatarUrl: null,
        phoneNumber: null,
        countryCode: null,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      expect(elapsed).toBeLessThan(1000);

      const again = await request(t.url)
        .post('/auth/login')
        .send({ code: t.fake.issueLoginCode(openid) });
      expect(again.status).toBe(200);
      expect(again.body.user.id).toBe(first.body.user.id);
    } finally {
      db.unpause();
    }
  });
});
