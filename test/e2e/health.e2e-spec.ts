import request from 'supertest';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { AccessTokenService } from '../../src/wechat/access-token.service.js';
import { usesRedis } from '../support/backends.js';

describe('GET /health', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('is 200 with the database and the store up, and public', async () => {
    const res = await request(t.url).get('/health').expect(200);
    expect(res.body.status).toBe('ok');
    expect(res.body.info.database).toMatchObject({ status: 'up' });
    expect(res.body.info.redis).toEqual({ status: 'up', kind: usesRedis ? 'redis' : 'memory' });
    expect(res.body.info.wechatAccessToken).toMatchObject({ status: 'up', present: expect.any(Boolean) });
  });

  it('reports the access token state once one was fetched, never the token itself', async () => {
    await t.app.get(AccessTokenService).get();
    const res = await request(t.url).get('/health').expect(200);
    expect(res.body.info.wechatAccessToken).toMatchObject({ status: 'up', present: true, expiresInSeconds: expect.any(Number) });
    const tokens = t.fake.currentTokens();
    expect(tokens.length).toBeGreaterThan(0);
    for (const token of tokens) expect(JSON.stringify(res.body)).not.toContain(token);
  });
});

describe('GET /health with Redis unreachable', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { REDIS_URL: 'redis://127.0.0.1:1/0' } });
  });
  afterAll(() => t.close());

  it('is 503 within a few seconds with redis down and keeps the Terminus shape', async () => {
    const started = Date.now();
    const res = await request(t.url).get('/health').expect(503);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(res.body.status).toBe('error');
    expect(res.body.error.redis.status).toBe('down');
    expect(res.body.details.database.status).toBe('up');
  });

  it('answers guarded routes with 503, not 401 or a hang', async () => {
    const res = await request(t.url)
      .get('/users/me')
      .set('Authorization', 'Bearer 3b241101-e2bb-4255-8caf-4136c566a962')
      .expect(503);
    expect(res.body).toMatchObject({ statusCode: 503, code: 'STORE_UNAVAILABLE' });
  });
});
