import request from 'supertest';
import { startTestApp, type TestApp, uniqueOpenid } from '../support/test-app.js';

const SERVICE_TOKEN = 'svc-token-lookup-0123456789abcdefghijklmnopqrstuvwxyz';

describe('user look-ups for services: GET /users/{id}, GET /users?openid=', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { SERVICE_TOKENS: `crm=${SERVICE_TOKEN}` } });
  });
  afterAll(() => t.close());

  const service = (path: string) => request(t.url).get(path).set('Authorization', `Bearer ${SERVICE_TOKEN}`);

  async function login(openid = uniqueOpenid()) {
    const res = await request(t.url)
      .post('/auth/login')
      .send({ code: t.fake.issueLoginCode(openid, { unionid: `u-${openid}` }) })
      .expect(200);
    return { openid, id: res.body.user.id as number, token: res.body.token as string };
  }

  it('answers the user object by id and by openid, with every field of the contract', async () => {
    const { openid, id } = await login();
    const expected = {
      id,
      openid,
      unionid: `u-${openid}`,
      nickname: null,
      avatarUrl: null,
      phoneNumber: null,
      countryCode: null,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      updatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    };
    const byId = await service(`/users/${id}`).expect(200);
    expect(byId.body).toEqual(expected);
    const byOpenid = await service(`/users?openid=${openid}`).expect(200);
    expect(byOpenid.body).toEqual(byId.body);
  });

  it("opens a first login's session with the row the database holds (created now), without reading it back", async () => {
    const before = Math.floor(Date.now() / 1000) * 1000;
    const { id, token } = await login();
    const after = Date.now();
    const me = await request(t.url).get('/users/me').set('Authorization', token).expect(200);
    const row = await service(`/users/${id}`).expect(200);
    expect(me.body).toEqual(row.body);
    const createdAt = Date.parse(row.body.createdAt as string);
    expect(createdAt >= before && createdAt <= after).toBe(true);
    expect(row.body.updatedAt).toBe(row.body.createdAt);
  });

  it('answers 404 USER_NOT_FOUND when there is none', async () => {
    const byId = await service('/users/2147483000').expect(404);
    expect(byId.body).toEqual({ statusCode: 404, code: 'USER_NOT_FOUND', message: 'No user with id 2147483000' });
    const byOpenid = await service(`/users?openid=${uniqueOpenid()}`).expect(404);
    expect(byOpenid.body).toMatchObject({ statusCode: 404, code: 'USER_NOT_FOUND' });
  });

  it('answers 400 for an id that is not a positive integer, and a missing or malformed openid', async () => {
    for (const path of [
      '/users/abc',
      '/users/0',
      '/users/-1',
      '/users/1.5',
      '/users/99999999999',
      '/users',
      '/users?openid=',
      '/users?openid=a%20b',
      '/users?openid=x&extra=1',
    ]) {
      const res = await service(path);
      expect([path, res.status, res.body.code]).toEqual([path, 400, 'VALIDATION_FAILED']);
    }
  });

  it('answers 403 to a user session and 401 without a token', async () => {
    const { openid, id, token } = await login();
    for (const path of [`/users/${id}`, `/users?openid=${openid}`]) {
      const asUser = await request(t.url).get(path).set('Authorization', token).expect(403);
      expect(asUser.body).toMatchObject({ statusCode: 403, code: 'SERVICE_TOKEN_REQUIRED' });
      const anonymous = await request(t.url).get(path).expect(401);
      expect(anonymous.body).toMatchObject({ statusCode: 401, code: 'AUTH_TOKEN_MISSING' });
    }
  });
});
