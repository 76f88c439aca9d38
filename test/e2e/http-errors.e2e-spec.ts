import request from 'supertest';
import { startTestApp, type TestApp } from '../support/test-app.js';

describe('HTTP error handling', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('answers malformed JSON with a 400 JSON error', async () => {
    const res = await request(t.url).post('/auth/login').set('Content-Type', 'application/json').send('{"code": ').expect(400);
    expect(res.body).toEqual({ statusCode: 400, code: 'INVALID_JSON', message: expect.any(String) });
  });

  it('answers a 100 KB body with 413', async () => {
    const res = await request(t.url)
      .post('/auth/login')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ code: 'x'.repeat(100 * 1024) }))
      .expect(413);
    expect(res.body).toMatchObject({ statusCode: 413, code: 'PAYLOAD_TOO_LARGE' });
  });

  it('answers an unknown route with a 404 JSON error', async () => {
    const res = await request(t.url).get('/nope').expect(404);
    expect(res.body).toMatchObject({ statusCode: 404, code: 'NOT_FOUND' });
  });

  it('gives every response a request id, and keeps a sane incoming one', async () => {
    const res = await request(t.url).get('/health').set('X-Request-Id', 'abc-123').expect(200);
    expect(res.headers['x-request-id']).toBe('abc-123');
    const other = await request(t.url).get('/health').expect(200);
    expect(other.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves the OpenAPI document', async () => {
    const res = await request(t.url).get('/docs-json').expect(200);
    expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(['/auth/login', '/users/me', '/templates/send', '/health']));
    expect(Object.keys(res.body.paths['/auth/login'].post.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '429', '504']));
    expect(Object.keys(res.body.paths['/templates/send'].post.responses)).toEqual(expect.arrayContaining(['200', '403', '409', '422']));
    expect(res.body.components.schemas.ErrorBodyDto.required).toEqual(expect.arrayContaining(['statusCode', 'code', 'message']));
  });
});
