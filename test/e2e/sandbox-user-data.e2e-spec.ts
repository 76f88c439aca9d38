import request from 'supertest';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { WECHAT_ENDPOINT } from '../../src/wechat/wechat.constants.js';
import type { WechatEndpoint } from '../../src/wechat/wechat-endpoint.js';
import { WechatClient } from '../../src/wechat/wechat.client.js';
import { AccessTokenService } from '../../src/wechat/access-token.service.js';

// Sandbox mode is for the embedded defaults only: no WeChat credentials, SQLite in memory, no Redis.
const SANDBOX_ENV = { WECHAT_APP_ID: undefined, WECHAT_APP_SECRET: undefined, DATABASE_URL: 'sqlite::memory:', REDIS_URL: undefined };

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

  it('mints a phone code for the caller that the built-in WeChat exchanges once', async () => {
    const res = await request(t.url).post('/sandbox/phone-code').set('Authorization', auth).send({ purePhoneNumber: '13912345678' }).expect(200);
    expect(res.body).toEqual({ code: expect.stringMatching(/^[0-9a-f]{48}$/), expiresIn: 300 });
    const client = t.app.get(WechatClient);
    const tokens = t.app.get(AccessTokenService);
    const info = await tokens.withToken((token) => client.getUserPhoneNumber(token, res.body.code, openid));
    expect(info).toMatchObject({ phoneNumber: '13912345678', purePhoneNumber: '13912345678', countryCode: '86' });
    await expect(tokens.withToken((token) => client.getUserPhoneNumber(token, res.body.code, openid))).rejects.toMatchObject({ errcode: 40029 });
  });

  it('mints encrypted data for the caller: a WeRun sample, a phone payload, or any object', async () => {
    for (const body of [{}, { kind: 'phone' }, { data: { shareTicket: 'x' } }]) {
      const res = await request(t.url).post('/sandbox/encrypted-data').set('Authorization', auth).send(body).expect(200);
      expect(res.body).toEqual({ encryptedData: expect.stringMatching(/^[A-Za-z0-9+/]+=*$/), iv: expect.stringMatching(/^[A-Za-z0-9+/]{22}==$/) });
    }
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
    const login = await request(t.url).post('/auth/login').send({ code: t.fake.issueLoginCode('oNotSandbox0000000000000001') }).expect(200);
    for (const path of ['/sandbox/phone-code', '/sandbox/encrypted-data']) {
      const res = await request(t.url).post(path).set('Authorization', login.body.token).send({});
      expect([path, res.status]).toEqual([path, 404]);
    }
    const docs = await request(t.url).get('/docs-json').expect(200);
    expect(Object.keys(docs.body.paths).filter((path) => path.startsWith('/sandbox'))).toEqual([]);
  });
});
