import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import {
  api,
  recipients,
  SERVICE as BATCH_SERVICE,
  SERVICE_TOKENS as BATCH_SERVICE_TOKENS,
  settled,
  uniqueTemplate,
  waitForBatch,
} from '../support/batches.js';
import { parseExposition, type Sample, valueOf } from '../support/prometheus.js';
import { startTestApp, type TestApp, uniqueOpenid } from '../support/test-app.js';

const SERVICE_TOKEN = 'metrics-scraper-token-0123456789abcdefghijkl';
const SERVICE = `Bearer ${SERVICE_TOKEN}`;

describe('GET /metrics', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { SERVICE_TOKENS: `prometheus=${SERVICE_TOKEN}` } });
  });
  afterAll(() => t.close());

  async function scrape(): Promise<{ text: string; samples: Sample[] }> {
    const res = await request(t.url).get('/metrics').set('Authorization', SERVICE).expect(200);
    return { text: res.text, samples: parseExposition(res.text) };
  }

  async function login(openid = uniqueOpenid()): Promise<string> {
    const res = await request(t.url)
      .post('/auth/login')
      .send({ code: t.fake.issueLoginCode(openid) })
      .expect(200);
    return `Bearer ${res.body.token as string}`;
  }

  const httpCount = (samples: Sample[], method: string, route: string, status: number) =>
    valueOf(samples, 'http_request_duration_seconds_count', { method, route, status_code: String(status) });

  describe('who may read it', () => {
    it('answers 401 without a token, 403 to a user session, and the Prometheus text format to a service token', async () => {
      const none = await request(t.url).get('/metrics').expect(401);
      expect(none.body).toEqual({ statusCode: 401, code: 'AUTH_TOKEN_MISSING', message: expect.any(String) });

      const user = await request(t.url)
        .get('/metrics')
        .set('Authorization', await login())
        .expect(403);
      expect(user.body).toEqual({ statusCode: 403, code: 'SERVICE_TOKEN_REQUIRED', message: expect.any(String) });
      expect(user.text).not.toContain('# TYPE');

      const bad = await request(t.url).get('/metrics').set('Authorization', 'Bearer not-a-known-token').expect(401);
      expect(bad.body.code).toBe('AUTH_TOKEN_INVALID');

      const ok = await request(t.url).get('/metrics').set('Authorization', SERVICE).expect(200);
      expect(ok.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(() => parseExposition(ok.text)).not.toThrow();
    });

    it('counts the refused scrapes under the declared route, with their status', async () => {
      const before = (await scrape()).samples;
      await request(t.url).get('/metrics').expect(401);
      await request(t.url).get('/metrics').expect(401);
      await request(t.url)
        .get('/metrics')
        .set('Authorization', await login())
        .expect(403);
      const after = (await scrape()).samples;
      expect(httpCount(after, 'GET', '/metrics', 401) - httpCount(before, 'GET', '/metrics', 401)).toBe(2);
      expect(httpCount(after, 'GET', '/metrics', 403) - httpCount(before, 'GET', '/metrics', 403)).toBe(1);
      // A scrape is counted once its answer has gone out: `after` sees the scrape that rendered `before`, not itself.
      expect(httpCount(after, 'GET', '/metrics', 200) - httpCount(before, 'GET', '/metrics', 200)).toBe(1);
    });
  });

  it('names every metric of the contract, the batch queue counts and the default process metrics', async () => {
    const { text, samples } = await scrape();
    const types: Record<string, string> = {
      http_request_duration_seconds: 'histogram',
      wechat_api_requests_total: 'counter',
      wechat_api_request_duration_seconds: 'histogram',
      wechat_access_token_refreshes_total: 'counter',
      sessions_created_total: 'counter',
      template_messages_total: 'counter',
      batch_queue_jobs: 'gauge',
      process_cpu_user_seconds_total: 'counter',
      process_resident_memory_bytes: 'gauge',
      nodejs_heap_size_used_bytes: 'gauge',
      nodejs_eventloop_lag_seconds: 'gauge',
    };
    for (const [name, type] of Object.entries(types)) expect(text).toContain(`\n# TYPE ${name} ${type}\n`);
    const queue = samples.filter((s) => s.name === 'batch_queue_jobs').map((s) => s.labels.state);
    expect(queue.sort()).toEqual(['active', 'waiting']);
    expect(valueOf(samples, 'process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  describe('http_request_duration_seconds', () => {
    it('labels a request by the route as declared, never by its path', async () => {
      const id = 987_654_321;
      const before = (await scrape()).samples;
      await request(t.url).get(`/users/${id}`).set('Authorization', SERVICE).expect(404);
      await request(t.url)
        .get(`/no/such/route/${id + 1}`)
        .expect(404);
      const { text, samples } = await scrape();

      expect(httpCount(samples, 'GET', '/users/:id', 404) - httpCount(before, 'GET', '/users/:id', 404)).toBe(1);
      expect(httpCount(samples, 'GET', 'unmatched', 404) - httpCount(before, 'GET', 'unmatched', 404)).toBe(1);
      expect(text).not.toContain(String(id));
      expect(text).not.toContain(String(id + 1));
      const routes = new Set(samples.filter((s) => s.name === 'http_request_duration_seconds_count').map((s) => s.labels.route));
      for (const route of routes) expect(route === 'unmatched' || route.startsWith('/')).toBe(true);
    });

    it('puts each request in the buckets of its duration', async () => {
      const before = (await scrape()).samples;
      for (let i = 0; i < 3; i++) await request(t.url).get('/health').expect(200);
      const after = (await scrape()).samples;
      const labels = { method: 'GET', route: '/health', status_code: '200' };
      expect(
        valueOf(after, 'http_request_duration_seconds_count', labels) - valueOf(before, 'http_request_duration_seconds_count', labels),
      ).toBe(3);
      const inf = { ...labels, le: '+Inf' };
      expect(
        valueOf(after, 'http_request_duration_seconds_bucket', inf) - valueOf(before, 'http_request_duration_seconds_bucket', inf),
      ).toBe(3);
      const sum =
        valueOf(after, 'http_request_duration_seconds_sum', labels) - valueOf(before, 'http_request_duration_seconds_sum', labels);
      expect(sum).toBeGreaterThan(0);
      expect(sum).toBeLessThan(30);
    });
  });

  it('counts logins, sessions and WeChat calls by the exact number made', async () => {
    const before = (await scrape()).samples;
    for (let i = 0; i < 3; i++) await login();
    t.fake.failNext('jscode2session', 40029);
    await request(t.url)
      .post('/auth/login')
      .send({ code: t.fake.issueLoginCode(uniqueOpenid()) })
      .expect(401);
    await request(t.url).post('/auth/login').send({}).expect(400);
    const after = (await scrape()).samples;

    const delta = (name: string, labels: Record<string, string> = {}) => valueOf(after, name, labels) - valueOf(before, name, labels);
    expect(delta('sessions_created_total')).toBe(3);
    expect(delta('wechat_api_requests_total', { endpoint: 'jscode2session', errcode: '0' })).toBe(3);
    expect(delta('wechat_api_requests_total', { endpoint: 'jscode2session', errcode: '40029' })).toBe(1);
    expect(delta('wechat_api_request_duration_seconds_count', { endpoint: 'jscode2session' })).toBe(4);
    expect(delta('http_request_duration_seconds_count', { method: 'POST', route: '/auth/login', status_code: '200' })).toBe(3);
    expect(delta('http_request_duration_seconds_count', { method: 'POST', route: '/auth/login', status_code: '401' })).toBe(1);
    expect(delta('http_request_duration_seconds_count', { method: 'POST', route: '/auth/login', status_code: '400' })).toBe(1);
  });

  it('counts template messages by kind and status, and access-token refreshes by result', async () => {
    const openid = uniqueOpenid();
    const user = await login(openid);
    const templateId = `tpl-metrics-${Date.now().toString(36)}`;
    t.fake.addTemplate(templateId);
    t.fake.acceptSubscription(openid, templateId, 2);
    const data = { thing1: { value: 'Shipped' } };
    const before = (await scrape()).samples;

    await request(t.url).post('/templates/send').set('Authorization', user).send({ templateId, data }).expect(200);
    await request(t.url).post('/templates/send').set('Authorization', user).send({ templateId, data }).expect(200);
    t.fake.failNext('subscribe_send', 43101);
    await request(t.url).post('/templates/send').set('Authorization', user).send({ templateId, data }).expect(409);
    await request(t.url).post('/templates/send').set('Authorization', user).send({ templateId, data: {} }).expect(400);
    t.fake.invalidateTokens();
    await request(t.url).post('/templates/send').set('Authorization', user).send({ templateId, data }).expect(409);
    const after = (await scrape()).samples;

    const delta = (name: string, labels: Record<string, string> = {}) => valueOf(after, name, labels) - valueOf(before, name, labels);
    expect(delta('template_messages_total', { kind: 'subscribe', status: 'sent' })).toBe(2);
    expect(delta('template_messages_total', { kind: 'subscribe', status: 'failed' })).toBe(2);
    expect(delta('template_messages_total', { kind: 'legacy', status: 'sent' })).toBe(0);
    // The first send fetched this app's first token; the invalidated one was replaced once.
    expect(delta('wechat_access_token_refreshes_total', { result: 'success' })).toBe(2);
    expect(delta('wechat_access_token_refreshes_total', { result: 'failure' })).toBe(0);
    expect(delta('wechat_api_requests_total', { endpoint: 'subscribe_send', errcode: '0' })).toBe(2);
    // The injected 43101, then the last send once its token was healed: both credits were used.
    expect(delta('wechat_api_requests_total', { endpoint: 'subscribe_send', errcode: '43101' })).toBe(2);
    expect(delta('wechat_api_requests_total', { endpoint: 'subscribe_send', errcode: '40001' })).toBe(1);
  });
});

describe('GET /metrics while a batch is sent', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ fakeOptions: { openSubscriptions: true }, env: { SERVICE_TOKENS: BATCH_SERVICE_TOKENS } });
  });
  afterAll(() => t.close());

  async function scrape(): Promise<Sample[]> {
    const res = await request(t.url).get('/metrics').set('Authorization', BATCH_SERVICE).expect(200);
    return parseExposition(res.text);
  }
  const queued = (samples: Sample[]) =>
    valueOf(samples, 'batch_queue_jobs', { state: 'waiting' }) + valueOf(samples, 'batch_queue_jobs', { state: 'active' });

  it("shows the queue's jobs while the batch runs, none once it is done, and counts every recipient's message", async () => {
    const before = await scrape();
    expect(queued(before)).toBe(0);
    t.fake.setLatency(50);
    try {
      const created = await api(t.url, 'POST', '/templates/batches', {
        templateId: uniqueTemplate(),
        data: { thing1: { value: 'Order shipped' } },
        recipients: recipients(600),
      });
      expect(created.status).toBe(202);
      // Three chunks of 200 go on the queue with the 202; each takes seconds at this latency.
      expect(queued(await scrape())).toBeGreaterThan(0);
      expect(await waitForBatch([t.url], created.body.id as string, settled, 60_000)).toMatchObject({ status: 'done', sent: 600 });
    } finally {
      t.fake.setLatency(0);
    }
    // The last job leaves the queue just after the batch records its end.
    let after = await scrape();
    for (let i = 0; i < 50 && queued(after) > 0; i++) {
      await sleep(100);
      after = await scrape();
    }
    expect(queued(after)).toBe(0);
    const sent = (samples: Sample[]) => valueOf(samples, 'template_messages_total', { kind: 'subscribe', status: 'sent' });
    expect(sent(after) - sent(before)).toBe(600);
    expect(
      valueOf(after, 'wechat_api_requests_total', { endpoint: 'subscribe_send', errcode: '0' }) -
        valueOf(before, 'wechat_api_requests_total', { endpoint: 'subscribe_send', errcode: '0' }),
    ).toBe(600);
  }, 90_000);
});
