import request from 'supertest';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { WECHAT_ENDPOINT } from '../../src/wechat/wechat.constants.js';
import type { WechatEndpoint } from '../../src/wechat/wechat-endpoint.js';

// Sandbox mode is for the embedded defaults only: no WeChat credentials, SQLite in memory, no Redis.
const SANDBOX_ENV = {
  WECHAT_APP_ID: undefined,
  WECHAT_APP_SECRET: undefined,
  DATABASE_URL: 'sqlite::memory:',
  REDIS_URL: undefined,
  REDIS_CLUSTER_NODES: undefined,
};

describe('sandbox mode: the phone and encrypted-data flows a developer can try', () => {
  let t: TestApp;
  let auth: string;
  let openid: string;

  beforeAll(async () => {
    t = await startTestApp({ env: SANDBOX_ENV });
    const login = await request(t.url).post('/auth/login').send({ code: 'any-code-from-the-devtools' }).expect(200);
    auth = `Bearer ${login.body.token}`;
    openid = login.body.user.openid;
  });
  afterAll(() => t.close());

  it('runs on the built-in fake', () => {
    expect(t.app.get<string, WechatEndpoint>(WECHAT_ENDPOINT).sandbox).not.toBeNull();
  });

  it('mints a phone code for the caller that POST /users/me/phone binds once', async () => {
    const res = await request(t.url)
      .post('/sandbox/phone-code')
      .set('Authorization', auth)
      .send({ purePhoneNumber: '13912345678' })
      .expect(200);
    expect(res.body).toEqual({ code: expect.stringMatching(/^[0-9a-f]{48}$/), expiresIn: 300 });
    const bound = await request(t.url).post('/users/me/phone').set('Authorization', auth).send({ code: res.body.code }).expect(200);
    expect(bound.body).toEqual({ phoneNumber: '13912345678', purePhoneNumber: '13912345678', countryCode: '86' });
    expect((await request(t.url).get('/users/me').set('Authorization', auth).expect(200)).body).toMatchObject({
      openid,
      phoneNumber: '13912345678',
    });
    const again = await request(t.url).post('/users/me/phone').set('Authorization', auth).send({ code: res.body.code }).expect(422);
    expect(again.body).toMatchObject({ code: 'WECHAT_INVALID_CODE', errcode: 40029 });
  });

  it('mints encrypted data for the caller that POST /auth/decrypt and POST /users/me/phone decrypt', async () => {
    const werun = await request(t.url).post('/sandbox/encrypted-data').set('Authorization', auth).send({}).expect(200);
    expect(werun.body).toEqual({
      encryptedData: expect.stringMatching(/^[A-Za-z0-9+/]+=*$/),
      iv: expect.stringMatching(/^[A-Za-z0-9+/]{22}==$/),
    });
    const steps = await request(t.url).post('/auth/decrypt').set('Authorization', auth).send(werun.body).expect(200);
    expect(steps.body.data).toEqual({
      stepInfoList: [{ timestamp: expect.any(Number), step: 8000 }],
      watermark: { appid: expect.any(String), timestamp: expect.any(Number) },
    });

    const custom = await request(t.url)
      .post('/sandbox/encrypted-data')
      .set('Authorization', auth)
      .send({ data: { shareTicket: 'x' } })
      .expect(200);
    expect((await request(t.url).post('/auth/decrypt').set('Authorization', auth).send(custom.body).expect(200)).body.data).toMatchObject({
      shareTicket: 'x',
    });

    const phone = await request(t.url).post('/sandbox/encrypted-data').set('Authorization', auth).send({ kind: 'phone' }).expect(200);
    const bound = await request(t.url).post('/users/me/phone').set('Authorization', auth).send(phone.body).expect(200);
    expect(bound.body).toEqual({ phoneNumber: '13800138000', purePhoneNumber: '13800138000', countryCode: '86' });
  });

  it('lets a real client try it too: a getPhoneNumber code never minted here is accepted once', async () => {
    const bound = await request(t.url)
      .post('/users/me/phone')
      .set('Authorization', auth)
      .send({ code: 'code-from-a-real-device' })
      .expect(200);
    expect(bound.body.purePhoneNumber).toMatch(/^139\d{8}$/);
    await request(t.url).post('/users/me/phone').set('Authorization', auth).send({ code: 'code-from-a-real-device' }).expect(422);
  });

  it('validates what it is given, and serves users only', async () => {
    const bad = [
      ['/sandbox/phone-code', { purePhoneNumber: '12ab' }],
      ['/sandbox/phone-code', { countryCode: '+86' }],
      ['/sandbox/phone-code', { other: 1 }],
      ['/sandbox/encrypted-data', { kind: 'secret' }],
      ['/sandbox/encrypted-data', { data: 'text' }],
    ] as const;
    for (const [path, body] of bad) {
      const res = await request(t.url).post(path).set('Authorization', auth).send(body);
      expect([path, res.status, res.body.code]).toEqual([path, 400, 'VALIDATION_FAILED']);
    }
    await request(t.url).post('/sandbox/phone-code').send({}).expect(401);
  });
});

describe('outside sandbox mode', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('has no sandbox routes at all', async () => {
    const login = await request(t.url)
      .post('/auth/login')
      .send({ code: t.fake.issueLoginCode('oNotSandbox0000000000000001') })
      .expect(200);
    for (const path of ['/sandbox/phone-code', '/sandbox/encrypted-data']) {
      const res = await request(t.url).post(path).set('Authorization', login.body.token).send({});
      expect([path, res.status]).toEqual([path, 404]);
    }
    const docs = await request(t.url).get('/docs-json').expect(200);
    expect(Object.keys(docs.body.paths).filter((path) => path.startsWith('/sandbox'))).toEqual([]);
  });
});
