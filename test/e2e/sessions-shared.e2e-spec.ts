import { DataSource } from 'typeorm';
import request from 'supertest';
import { FakeWechatServer } from '../../src/sandbox/fake-wechat.server.js';
import { describeWithServices } from '../support/backends.js';
import { closeTwoApps, startTwoApps, type TestApp, uniqueOpenid } from '../support/test-app.js';

describeWithServices({ mysql: true, redis: true }, 'sessions and users shared by two instances (MySQL + Redis)', () => {
  let fake: FakeWechatServer;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    ({ fake, a, b } = await startTwoApps());
  });
  afterAll(() => closeTwoApps({ fake, a, b }));

  it('turns 50 concurrent logins of one openid into exactly one user row, 50 tokens, and the 10 newest of them live', async () => {
    const openid = uniqueOpenid();
    const codes = Array.from({ length: 50 }, () => fake.issueLoginCode(openid, { unionid: `u-${openid}` }));
    const responses = await Promise.all(
      codes.map((code, i) =>
        request(i % 2 ? a.url : b.url)
          .post('/auth/login')
          .send({ code }),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(200));
    const rows = await a.app.get(DataSource).query('SELECT id, union_id FROM `user` WHERE open_id = ?', [openid]);
    expect(rows).toHaveLength(1);
    expect(rows[0].union_id).toBe(`u-${openid}`);
    expect(new Set(responses.map((r) => r.body.user.id))).toEqual(new Set([Number(rows[0].id)]));
    const tokens = new Set(responses.map((r) => r.body.token));
    expect(tokens.size).toBe(50);
    // SESSION_MAX_PER_USER (10) caps the user's live sessions: the 40 oldest of the 50 have ended.
    const checks = await Promise.all(
      [...tokens].map((token, i) =>
        request(i % 2 ? b.url : a.url)
          .get('/users/me')
          .set('Authorization', token),
      ),
    );
    expect(checks.filter((r) => r.status === 200 && r.body.openid === openid)).toHaveLength(10);
    expect(checks.filter((r) => r.status === 401)).toHaveLength(40);
  });

  it('does not spend AUTO_INCREMENT values on repeat logins, and keeps or updates the unionid', async () => {
    const ds = a.app.get(DataSource);
    const openid = uniqueOpenid();
    const first = await request(a.url)
      .post('/auth/login')
      .send({ code: fake.issueLoginCode(openid) })
      .expect(200);
    expect(first.body.user.unionid).toBeNull();
    const nextId = async () => Number((await ds.query("SHOW TABLE STATUS LIKE 'user'"))[0].Auto_increment);
    const before = await nextId();
    for (let i = 0; i < 10; i += 1)
      await request(b.url)
        .post('/auth/login')
        .send({ code: fake.issueLoginCode(openid) })
        .expect(200);
    expect(await nextId()).toBe(before);

    const withUnion = await request(a.url)
      .post('/auth/login')
      .send({ code: fake.issueLoginCode(openid, { unionid: `u2-${openid}` }) })
      .expect(200);
    expect(withUnion.body.user).toEqual({ ...first.body.user, unionid: `u2-${openid}`, updatedAt: expect.any(String) });
    const without = await request(b.url)
      .post('/auth/login')
      .send({ code: fake.issueLoginCode(openid) })
      .expect(200);
    expect(without.body.user.unionid).toBe(`u2-${openid}`);
  });

  it('accepts a token issued by one instance on the other, and a logout on one is seen by the other at once', async () => {
    const login = await request(a.url)
      .post('/auth/login')
      .send({ code: fake.issueLoginCode(uniqueOpenid()) })
      .expect(200);
    await request(b.url).get('/users/me').set('Authorization', `Bearer ${login.body.token}`).expect(200);
    await request(b.url).post('/auth/logout').set('Authorization', login.body.token).expect(204);
    await request(a.url).get('/users/me').set('Authorization', login.body.token).expect(401);
  });
});
