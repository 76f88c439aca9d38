import request from 'supertest';
import { describeWithServices, redisUrl } from '../support/backends.js';
import { OwnMariadb, waitFor } from '../support/service-processes.js';
import { startTestApp, type TestApp, uniqueOpenid } from '../support/test-app.js';

const SERVICE_TOKEN = 'd'.repeat(40);
const templateId = 'tpl-durable';

describeWithServices({ mysql: true, redis: true }, 'a message WeChat accepted always gets its message_log row', () => {
  let db: OwnMariadb;
  let t: TestApp;
  beforeAll(async () => {
    db = await OwnMariadb.start();
    t = await startTestApp({ env: { DATABASE_URL: db.url, REDIS_URL: redisUrl, SERVICE_TOKENS: `crm=${SERVICE_TOKEN}` } });
    t.fake.addTemplate(templateId);
  });
  afterAll(async () => {
    await t?.close();
    await db?.destroy();
  });

  async function loggedInUser() {
    const openid = uniqueOpenid();
    t.fake.acceptSubscription(openid, templateId, 10);
    const login = await request(t.url)
      .post('/auth/login')
      .send({ code: t.fake.issueLoginCode(openid) })
      .expect(200);
    return { openid, token: login.body.token as string };
  }

  const send = (token: string) =>
    request(t.url)
      .post('/templates/send')
      .set('Authorization', token)
      .send({ templateId, data: { thing1: { value: 'hello' } } });
  const rowsOf = async (openid: string) =>
    (await request(t.url).get(`/templates/messages?openid=${openid}`).set('Authorization', SERVICE_TOKEN).expect(200)).body.items as Array<{
      msgid: string;
    }>;

  it('writes the row once the database is back (it was down when WeChat accepted), without a restart', async () => {
    const user = await loggedInUser();
    await db.kill();
    const sent = await send(user.token);
    expect(sent.status).toBe(200);
    expect(t.fake.messages.filter((m) => m.touser === user.openid)).toHaveLength(1);
    await db.resume();
    const started = Date.now();
    await waitFor(async () => (await rowsOf(user.openid)).length === 1, 'the row after the database returned', 20_000);
    process.stdout.write(`message_log row written ${Date.now() - started} ms after the database returned\n`);
    const rows = await rowsOf(user.openid);
    expect(rows).toEqual([expect.objectContaining({ msgid: String(sent.body.msgid), status: 'sent', templateId })]);
  }, 60_000);

  it('writes the row exactly once when the database was stuck at insert time (the timed-out insert commits after SIGCONT)', async () => {
    const user = await loggedInUser();
    db.pause();
    let sentAfter = 0;
    let sent: request.Response;
    try {
      const started = Date.now();
      sent = await send(user.token);
      sentAfter = Date.now() - started;
      expect(sent.status).toBe(200);
      expect(sentAfter).toBeLessThan(3000);
    } finally {
      db.unpause();
    }
    process.stdout.write(`send with the database paused answered 200 after ${sentAfter} ms\n`);
    await waitFor(async () => (await rowsOf(user.openid)).length >= 1, 'the row after SIGCONT', 20_000);
    // Give the outbox several more rounds: a second copy would show up now.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const rows = await rowsOf(user.openid);
    expect(rows).toEqual([expect.objectContaining({ msgid: String(sent.body.msgid), status: 'sent' })]);
  }, 60_000);
});

describeWithServices({ mysql: true }, 'WeChat identifiers compare byte for byte', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('logs in two openids that differ only in case as two users', async () => {
    const lower = uniqueOpenid().toLowerCase();
    const upper = `O${lower.slice(1).toUpperCase()}`;
    const a = await request(t.url)
      .post('/auth/login')
      .send({ code: t.fake.issueLoginCode(lower) })
      .expect(200);
    const b = await request(t.url)
      .post('/auth/login')
      .send({ code: t.fake.issueLoginCode(upper) })
      .expect(200);
    expect(a.body.user.openid).toBe(lower);
    expect(b.body.user.openid).toBe(upper);
    expect(b.body.user.id).not.toBe(a.body.user.id);
    const again = await request(t.url)
      .post('/auth/login')
      .send({ code: t.fake.issueLoginCode(lower) })
      .expect(200);
    expect(again.body.user.id).toBe(a.body.user.id);
    const me = await request(t.url).get('/users/me').set('Authorization', b.body.token).expect(200);
    expect(me.body.openid).toBe(upper);
  });
});
