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
    // Nothing has asked for a token yet: the app fetches one on first use, never at start.
    expect(res.body.info.wechatAccessToken).toEqual({
      status: 'up',
      present: false,
      expiresInSeconds: null,
      lastRefreshAt: null,
      lastError: null,
    });
    expect(res.body.info.wechat).toEqual({ status: 'up', mode: 'live' });
  });

  it('reports the access token state once one was fetched, never the token itself', async () => {
    const asked = Date.now();
    await t.app.get(AccessTokenService).get();
    const fetchedBy = Date.now();
    const res = await request(t.url).get('/health').expect(200);
    const answeredBy = Date.now();
    // A fresh token has 7200 s; /health rounds what is left at the instant it reads the store.
    const state = res.body.info.wechatAccessToken;
    expect(state).toMatchObject({ status: 'up', present: true, lastError: null });
    expect(state.expiresInSeconds).toBeLessThanOrEqual(7200);
    expect(state.expiresInSeconds).toBeGreaterThanOrEqual(Math.round(7200 - (answeredBy - asked) / 1000));
    expect(Date.parse(state.lastRefreshAt)).toBeGreaterThanOrEqual(asked);
    expect(Date.parse(state.lastRefreshAt)).toBeLessThanOrEqual(fetchedBy);
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

  it('carries no driver error text: a failing part says only its status', async () => {
    const res = await request(t.url).get('/health').expect(503);
    expect(res.body.error).toEqual({ redis: { status: 'down', kind: 'redis' } });
    expect(JSON.stringify(res.body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|:1\b|connect|closed|message/i);
  });

  it('answers guarded routes with 503, not 401 or a hang', async () => {
    const res = await request(t.url)
      .get('/users/me')
      .set('Authorization', `Bearer 1.${'A'.repeat(32)}`)
      .expect(503);
    // No driver text reaches the client; it is in the log.
    expect(res.body).toEqual({ statusCode: 503, code: 'STORE_UNAVAILABLE', message: 'The shared store is unavailable' });
  });
});
