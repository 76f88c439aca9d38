import request from 'supertest';
import { captureOutput, type OutputCapture } from '../support/log-capture.js';
import { startTestApp, type TestApp, uniqueOpenid } from '../support/test-app.js';

const SERVICE_TOKEN = 'ops-console-token-0123456789abcdefghijklmnop';
const SERVICE = `Bearer ${SERVICE_TOKEN}`;

interface LogLine {
  level: number;
  msg?: string;
  reqId?: string;
  context?: string;
  [key: string]: unknown;
}

function jsonLines(text: string): LogLine[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

describe('logs: the request id on every line of a request, nothing secret or personal anywhere', () => {
  let capture: OutputCapture;
  let t: TestApp;

  beforeAll(async () => {
    // Started before the app boots: see captureOutput for why pino only goes through process.stdout then.
    capture = captureOutput();
    t = await startTestApp({ env: { LOG_LEVEL: 'trace', LOG_FORMAT: 'json', SERVICE_TOKENS: `ops=${SERVICE_TOKEN}` } });
  });
  afterAll(async () => {
    await t?.close();
    capture.restore();
  });

  const linesOf = (requestId: string) => jsonLines(capture.text()).filter((line) => line.reqId === requestId);

  it('a line a handler logs (WeChat refusing a code) carries the request id the client sent, as does the completion line', async () => {
    t.fake.failNext('jscode2session', 40029);
    const res = await request(t.url)
      .post('/auth/login')
      .set('X-Request-Id', 'login-40029-a')
      .send({ code: t.fake.issueLoginCode(uniqueOpenid()) })
      .expect(401);
    expect(res.headers['x-request-id']).toBe('login-40029-a');
    const lines = linesOf('login-40029-a');
    expect(lines.map((line) => line.msg)).toEqual([expect.stringContaining('errcode 40029'), 'request completed']);
    expect(lines[1]).toMatchObject({ req: { method: 'POST', url: '/auth/login' }, res: { statusCode: 401 } });
  });

  it('a generated id (no X-Request-Id) is the one on the lines, also on a 5xx logged by the exception filter', async () => {
    t.fake.takeDown();
    try {
      const res = await request(t.url)
        .post('/auth/login')
        .send({ code: t.fake.issueLoginCode(uniqueOpenid()) });
      expect([502, 503, 504]).toContain(res.status);
      const id = res.headers['x-request-id'];
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      const lines = linesOf(id);
      expect(lines.map((line) => line.context)).toEqual(['WechatClient', 'ExceptionFilter', undefined]);
      expect(lines[2]).toMatchObject({ msg: 'request completed', res: { statusCode: res.status } });
    } finally {
      t.fake.bringUp();
    }
  });

  it('lines logged outside any request (start-up) carry no request id', () => {
    const started = jsonLines(capture.text()).find((line) => line.msg === 'Nest application successfully started');
    expect(started).toBeDefined();
    expect(started?.reqId).toBeUndefined();
  });

  it('concurrent requests keep their own ids', async () => {
    t.fake.setLatency(100);
    try {
      const ids = Array.from({ length: 8 }, (_, i) => `concurrent-${i}`);
      await Promise.all(
        ids.map((id) =>
          request(t.url)
            .post('/auth/login')
            .set('X-Request-Id', id)
            .send({ code: `unknown-code-${id}` })
            .expect(401),
        ),
      );
      for (const id of ids) {
        expect(linesOf(id).map((line) => line.msg)).toEqual([expect.stringContaining('errcode 40029'), 'request completed']);
      }
    } finally {
      t.fake.setLatency(0);
    }
  });

  it('no line holds a secret or a personal field of a login, a lookup, sends, a token heal, failures and a scrape', async () => {
    // What must never be logged → a label, so that a failure says what leaked without printing it.
    const secrets = new Map<string, string>([
      [t.fake.appSecret, 'the AppSecret'],
      [SERVICE_TOKEN, 'a service token'],
    ]);
    const openid = uniqueOpenid();
    const code = t.fake.issueLoginCode(openid);
    secrets.set(code, 'the wx.login code');
    const login = await request(t.url).post('/auth/login').send({ code }).expect(200);
    secrets.set(login.body.token as string, 'the session token');
    secrets.set(t.fake.sessionKey(openid) as string, 'the session_key');
    const user = `Bearer ${login.body.token as string}`;

    await request(t.url).get('/users/me').set('Authorization', user).expect(200);
    await request(t.url)
      .get(`/users/${login.body.user.id as number}`)
      .set('Authorization', SERVICE)
      .expect(200);
    t.fake.addTemplate('tpl-logs', ['thing1']);
    t.fake.acceptSubscription(openid, 'tpl-logs', 2);
    const send = () =>
      request(t.url)
        .post('/templates/send')
        .set('Authorization', user)
        .send({ templateId: 'tpl-logs', data: { thing1: { value: 'hi' } } });
    await send().expect(200);
    for (const token of t.fake.currentTokens()) secrets.set(token, 'an access token');
    t.fake.invalidateTokens();
    await send().expect(200);
    for (const token of t.fake.currentTokens()) secrets.set(token, 'an access token');
    await request(t.url).get('/metrics').set('Authorization', SERVICE).expect(200);
    await request(t.url)
      .get('/users/me')
      .set('Authorization', `Bearer ${'f'.repeat(8)}-ffff-4fff-8fff-${'f'.repeat(12)}`)
      .expect(401);
    await request(t.url).post('/auth/logout').set('Authorization', user).expect(204);

    const output = capture.text();
    // The capture must have seen the run, else finding nothing in it proves nothing.
    expect(output).toContain('"url":"/templates/send"');
    expect(output).toContain('WeChat refused the access token');
    expect(output).toContain('"url":"/metrics"');
    expect([...secrets.values()].filter((label) => label === 'an access token').length).toBeGreaterThanOrEqual(2);
    const leaked = [...secrets]
      .filter(([secret]) => secret !== '' && (output.includes(secret) || output.includes(encodeURIComponent(secret))))
      .map(([, label]) => label);
    expect(leaked).toEqual([]);
    // Headers are never logged, so neither is Authorization, redacted or not.
    expect(output).not.toMatch(/authorization/i);
  });
});
