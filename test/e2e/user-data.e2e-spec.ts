import request from 'supertest';
import { DataSource } from 'typeorm';
import { sessionKeys } from '../../src/auth/session.keys.js';
import { KeyValueStore } from '../../src/redis/key-value.store.js';
import { ProfileService } from '../../src/user-data/profile.service.js';
import { User } from '../../src/users/user.entity.js';
import { UsersRepository } from '../../src/users/users.repository.js';
import { FakeWechatServer } from '../../src/sandbox/fake-wechat.server.js';
import { describeWithServices } from '../support/backends.js';
import { closeTwoApps, startTestApp, startTwoApps, type TestApp, uniqueOpenid } from '../support/test-app.js';

const SERVICE_TOKEN = 'svc-token-userdata-0123456789abcdefghijklmnopqrstuvwxyz';
const SERVICE = `Bearer ${SERVICE_TOKEN}`;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

interface Session {
  openid: string;
  id: number;
  auth: string;
  login: Record<string, unknown>;
}

describe('user data (v2): profile, phone number, encrypted data, session_key check, deletion', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { SERVICE_TOKENS: `crm=${SERVICE_TOKEN}` } });
  });
  afterAll(() => t.close());

  /** A login of `openid` (a new user by default); every login rotates the user's session_key at WeChat. */
  async function login(openid = uniqueOpenid()): Promise<Session> {
    const res = await request(t.url)
      .post('/auth/login')
      .send({ code: t.fake.issueLoginCode(openid) })
      .expect(200);
    return { openid, id: res.body.user.id, auth: `Bearer ${res.body.token}`, login: res.body.user };
  }
  const me = (s: Session) => request(t.url).get('/users/me').set('Authorization', s.auth);
  const patch = (s: Session, body: unknown) =>
    request(t.url)
      .patch('/users/me')
      .set('Authorization', s.auth)
      .send(body as object);
  const bindPhone = (s: Session, body: unknown) =>
    request(t.url)
      .post('/users/me/phone')
      .set('Authorization', s.auth)
      .send(body as object);
  const decrypt = (s: Session, body: unknown) =>
    request(t.url)
      .post('/auth/decrypt')
      .set('Authorization', s.auth)
      .send(body as object);
  const sessionState = (s: Session) => request(t.url).get('/auth/session').set('Authorization', s.auth);

  describe('GET /users/me and PATCH /users/me', () => {
    it('changes nickname and avatarUrl; every live session of the user, and the next login, sees them at once', async () => {
      const first = await login();
      const second = await login(first.openid);
      expect(first.login).toEqual({
        id: first.id,
        openid: first.openid,
        unionid: null,
        nickname: null,
        avatarUrl: null,
        phoneNumber: null,
        countryCode: null,
        createdAt: expect.stringMatching(ISO),
        updatedAt: expect.stringMatching(ISO),
      });
      const avatarUrl = 'https://thirdwx.qlogo.cn/mmopen/vi_32/abc/132';
      const res = await patch(first, { nickname: '  小明😀  ', avatarUrl }).expect(200);
      expect(res.body).toEqual({ ...first.login, nickname: '小明😀', avatarUrl, updatedAt: expect.stringMatching(ISO) });
      for (const session of [first, second]) expect((await me(session).expect(200)).body).toEqual(res.body);
      const third = await login(first.openid);
      expect(third.login).toEqual(res.body);
      expect((await request(t.url).get(`/users/${first.id}`).set('Authorization', SERVICE).expect(200)).body).toEqual(res.body);
    });

    it('changes only the fields sent; avatarUrl null clears it', async () => {
      const s = await login();
      await patch(s, { nickname: 'Ann', avatarUrl: 'https://e.com/a.png' }).expect(200);
      expect((await patch(s, { nickname: 'Bo' }).expect(200)).body).toMatchObject({ nickname: 'Bo', avatarUrl: 'https://e.com/a.png' });
      expect((await patch(s, { avatarUrl: null }).expect(200)).body).toMatchObject({ nickname: 'Bo', avatarUrl: null });
      expect((await me(s).expect(200)).body).toMatchObject({ nickname: 'Bo', avatarUrl: null });
      const [row] = await t.app.get(DataSource).query('SELECT nickname, avatar_url FROM `user` WHERE id = ?', [s.id]);
      expect(row).toEqual({ nickname: 'Bo', avatar_url: null });
    });

    it.each([
      ['no field at all', {}],
      ['an unknown field', { nickname: 'Ann', gender: 1 }],
      ['only a field that is not the profile', { phoneNumber: '13800138000' }],
      ['a null nickname', { nickname: null }],
      ['an empty nickname', { nickname: '   ' }],
      ['65 characters', { nickname: '😀'.repeat(65) }],
      ['a control character', { nickname: 'Ann\u0007' }],
      ['a C1 control character', { nickname: 'Ann\u009b' }],
      ['DEL', { nickname: 'Ann\u007f' }],
      ['an http avatar', { avatarUrl: 'http://e.com/a.png' }],
      ['an avatar over 1024 characters', { avatarUrl: `https://e.com/${'a'.repeat(1011)}` }],
      ['a non-string avatar', { avatarUrl: 5 }],
    ])('refuses %s with 400 and changes nothing', async (_name, body) => {
      const s = await login();
      await patch(s, { nickname: 'Kept' }).expect(200);
      const res = await patch(s, body).expect(400);
      expect(res.body).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED' });
      expect((await me(s).expect(200)).body).toMatchObject({ nickname: 'Kept', avatarUrl: null });
    });

    it('accepts 64 characters of emoji and a 1024-character https URL', async () => {
      const s = await login();
      const body = { nickname: '😀'.repeat(64), avatarUrl: `https://e.com/${'a'.repeat(1010)}` };
      expect((await patch(s, body).expect(200)).body).toMatchObject(body);
      expect((await me(s).expect(200)).body).toMatchObject(body);
    });

    it('answers 403 to a service token and 401 without a token', async () => {
      for (const [method, path] of [
        ['patch', '/users/me'],
        ['get', '/users/me'],
        ['post', '/users/me/phone'],
        ['delete', '/users/me'],
        ['post', '/auth/decrypt'],
        ['get', '/auth/session'],
      ] as const) {
        const asService = await request(t.url)[method](path).set('Authorization', SERVICE).send({});
        expect([method, path, asService.status, asService.body.code]).toEqual([method, path, 403, 'USER_SESSION_REQUIRED']);
        const anonymous = await request(t.url)[method](path).send({});
        expect([method, path, anonymous.status, anonymous.body.code]).toEqual([method, path, 401, 'AUTH_TOKEN_MISSING']);
      }
    });
  });

  describe('a change published late (it lost a race with another)', () => {
    /** The row as a slower concurrent request read it, before the newer change. */
    async function staleRow(id: number, nickname: string): Promise<User> {
      const user = await t.app.get(UsersRepository).findById(id);
      return Object.assign(new User(), user, { nickname });
    }

    it('never leaves the sessions with the older read: the final row is republished', async () => {
      const s = await login();
      const stale = await staleRow(s.id, 'older read');
      await patch(s, { nickname: 'newer' }).expect(200);
      await t.app.get(ProfileService).publish(stale);
      expect((await me(s).expect(200)).body.nickname).toBe('newer');
    });

    it('never revives a user deleted meanwhile: its store copy stays gone and the next login is a new user', async () => {
      const s = await login();
      const stale = await staleRow(s.id, 'late');
      await request(t.url).delete('/users/me').set('Authorization', s.auth).expect(204);
      await expect(t.app.get(ProfileService).publish(stale)).rejects.toMatchObject({ code: 'USER_NOT_FOUND', status: 404 });
      const store = t.app.get(KeyValueStore);
      for (const key of [sessionKeys.user(s.id), sessionKeys.userIdByOpenid(s.openid)])
        expect([key, await store.get(key)]).toEqual([key, null]);
      const again = await login(s.openid);
      expect(again.id).not.toBe(s.id);
      expect(again.login).toMatchObject({ nickname: null });
    });
  });

  describe('POST /users/me/phone', () => {
    it('binds the number behind a phone code, for every session and for services', async () => {
      const s = await login();
      const other = await login(s.openid);
      const before = t.fake.calls('getuserphonenumber');
      const res = await bindPhone(s, {
        code: t.fake.issuePhoneCode(s.openid, { purePhoneNumber: '13912345678', countryCode: '86' }),
      }).expect(200);
      expect(res.body).toEqual({ phoneNumber: '13912345678', purePhoneNumber: '13912345678', countryCode: '86' });
      expect(t.fake.calls('getuserphonenumber')).toBe(before + 1);
      for (const session of [s, other])
        expect((await me(session).expect(200)).body).toMatchObject({ phoneNumber: '13912345678', countryCode: '86' });
      expect((await request(t.url).get(`/users?openid=${s.openid}`).set('Authorization', SERVICE).expect(200)).body).toMatchObject({
        phoneNumber: '13912345678',
        countryCode: '86',
      });
      const [row] = await t.app
        .get(DataSource)
        .query('SELECT phone_number, pure_phone_number, country_code FROM `user` WHERE id = ?', [s.id]);
      expect(row).toEqual({ phone_number: '13912345678', pure_phone_number: '13912345678', country_code: '86' });
    });

    it('keeps the area code of a number outside China, whether WeChat sends countryCode as a string or a number', async () => {
      const s = await login();
      const answers = [];
      for (let i = 0; i < 2; i += 1) {
        answers.push(
          (await bindPhone(s, { code: t.fake.issuePhoneCode(s.openid, { purePhoneNumber: '4155550100', countryCode: '1' }) }).expect(200))
            .body,
        );
      }
      expect(answers).toEqual([0, 1].map(() => ({ phoneNumber: '+14155550100', purePhoneNumber: '4155550100', countryCode: '1' })));
    });

    it("answers 422 WECHAT_INVALID_CODE for a used, unknown or another user's phone code, and stores nothing", async () => {
      const s = await login();
      const used = t.fake.issuePhoneCode(s.openid);
      await bindPhone(s, { code: used }).expect(200);
      await patch(s, { nickname: 'n' }).expect(200);
      const fresh = await login();
      for (const code of [t.fake.issuePhoneCode(s.openid), 'never-issued', used]) {
        const res = await bindPhone(fresh, { code }).expect(422);
        expect(res.body).toMatchObject({ statusCode: 422, code: 'WECHAT_INVALID_CODE', errcode: 40029 });
      }
      expect((await me(fresh).expect(200)).body).toMatchObject({ phoneNumber: null, countryCode: null });
    });

    it("answers 422 WECHAT_DATA_WRONG_APP when phone_info's watermark names another app, and stores nothing", async () => {
      const s = await login();
      const code = t.fake.issuePhoneCode(s.openid, undefined, { appId: 'wx00000000000other' });
      const res = await bindPhone(s, { code }).expect(422);
      expect(res.body).toEqual({
        statusCode: 422,
        code: 'WECHAT_DATA_WRONG_APP',
        message: expect.stringContaining('another mini-program'),
      });
      expect((await me(s).expect(200)).body.phoneNumber).toBeNull();
    });

    it('heals a refused access token (40001, 42001) and retries once, transparently', async () => {
      for (const spoil of [() => t.fake.invalidateTokens(), () => t.fake.expireTokens()]) {
        const s = await login();
        await bindPhone(s, { code: t.fake.issuePhoneCode(s.openid) }).expect(200);
        spoil();
        const before = t.fake.calls('getuserphonenumber');
        await bindPhone(s, { code: t.fake.issuePhoneCode(s.openid, { purePhoneNumber: '13700000000', countryCode: '86' }) }).expect(200);
        expect(t.fake.calls('getuserphonenumber')).toBe(before + 2);
        expect((await me(s).expect(200)).body.phoneNumber).toBe('13700000000');
      }
    });

    it('maps WeChat being busy to 503 and unreachable to 502, storing nothing', async () => {
      const s = await login();
      t.fake.failNext('getuserphonenumber', -1);
      expect((await bindPhone(s, { code: t.fake.issuePhoneCode(s.openid) }).expect(503)).body).toMatchObject({
        code: 'WECHAT_BUSY',
        errcode: -1,
      });
      t.fake.takeDown();
      try {
        expect((await bindPhone(s, { code: t.fake.issuePhoneCode(s.openid) }).expect(502)).body.code).toBe('WECHAT_UNREACHABLE');
      } finally {
        t.fake.bringUp();
      }
      expect((await me(s).expect(200)).body.phoneNumber).toBeNull();
    });

    it('binds the number from the legacy encryptedData and iv, decrypted with the newest session_key', async () => {
      const s = await login();
      const data = t.fake.encryptPhoneNumber(s.openid, { purePhoneNumber: '13600000000', countryCode: '86' });
      const res = await bindPhone(s, data).expect(200);
      expect(res.body).toEqual({ phoneNumber: '13600000000', purePhoneNumber: '13600000000', countryCode: '86' });
      expect((await me(s).expect(200)).body).toMatchObject({ phoneNumber: '13600000000', countryCode: '86' });
    });

    it('answers 422 for encrypted data of another app, data that does not decrypt, and data that is no phone number', async () => {
      const s = await login();
      const cases: Array<[object, string, string]> = [
        [t.fake.encryptPhoneNumber(s.openid, undefined, { appId: 'wx00000000000other' }), 'WECHAT_DATA_WRONG_APP', 'another mini-program'],
        [
          t.fake.encryptPhoneNumber(s.openid, undefined, { sessionKey: Buffer.alloc(16, 7).toString('base64') }),
          'WECHAT_DECRYPT_FAILED',
          'does not decrypt',
        ],
        [{ encryptedData: 'bm90IGNpcGhlcnRleHQ=', iv: 'AAAAAAAAAAAAAAAAAAAAAA==' }, 'WECHAT_DECRYPT_FAILED', 'does not decrypt'],
        [{ encryptedData: t.fake.encryptPhoneNumber(s.openid).encryptedData, iv: 'AAAA' }, 'WECHAT_DECRYPT_FAILED', 'does not decrypt'],
        [t.fake.encryptUserData(s.openid, { stepInfoList: [] }), 'WECHAT_DECRYPT_FAILED', 'not a phone number'],
      ];
      for (const [body, code, message] of cases) {
        const res = await bindPhone(s, body).expect(422);
        expect(res.body).toEqual({ statusCode: 422, code, message: expect.stringContaining(message) });
      }
      expect((await me(s).expect(200)).body.phoneNumber).toBeNull();
    });

    it.each([
      ['neither form', {}],
      ['both forms', { code: 'c', encryptedData: 'AAAA', iv: 'AAAA' }],
      ['encryptedData without iv', { encryptedData: 'AAAA' }],
      ['an empty code', { code: '' }],
      ['an unknown field', { code: 'c', openid: 'oSomeoneElse' }],
    ])('refuses %s with 400 before calling WeChat', async (_name, body) => {
      const s = await login();
      const before = t.fake.calls('getuserphonenumber');
      expect((await bindPhone(s, body).expect(400)).body).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED' });
      expect(t.fake.calls('getuserphonenumber')).toBe(before);
    });
  });

  describe('POST /auth/decrypt', () => {
    it('answers the decrypted object, watermark included', async () => {
      const s = await login();
      const steps = {
        stepInfoList: [
          { timestamp: 1764547200, step: 12345 },
          { timestamp: 1764633600, step: 678 },
        ],
      };
      const res = await decrypt(s, t.fake.encryptUserData(s.openid, steps)).expect(200);
      expect(res.body).toEqual({ data: { ...steps, watermark: { appid: t.fake.appId, timestamp: expect.any(Number) } } });
    });

    it('answers 422 WECHAT_DATA_WRONG_APP and WECHAT_DECRYPT_FAILED, and 400 for a malformed body', async () => {
      const s = await login();
      expect((await decrypt(s, t.fake.encryptUserData(s.openid, { a: 1 }, { appId: 'wx00000000000other' })).expect(422)).body.code).toBe(
        'WECHAT_DATA_WRONG_APP',
      );
      expect(
        (await decrypt(s, t.fake.encryptUserData(s.openid, { a: 1 }, { sessionKey: Buffer.alloc(16, 1).toString('base64') })).expect(422))
          .body.code,
      ).toBe('WECHAT_DECRYPT_FAILED');
      const good = t.fake.encryptUserData(s.openid, { a: 1 });
      expect((await decrypt(s, { ...good, iv: Buffer.alloc(16).toString('base64') }).expect(422)).body.code).toBe('WECHAT_DECRYPT_FAILED');
      for (const body of [{}, { encryptedData: good.encryptedData }, { ...good, extra: true }, { ...good, iv: 12 }]) {
        expect((await decrypt(s, body).expect(400)).body.code).toBe('VALIDATION_FAILED');
      }
    });
  });

  describe('the newest session_key is the one every session of the user uses', () => {
    it('a second login rotates it for both sessions: data made before no longer decrypts, data made after decrypts in either', async () => {
      const first = await login();
      const before = t.fake.encryptUserData(first.openid, { n: 1 });
      await decrypt(first, before).expect(200);
      const second = await login(first.openid);
      for (const s of [first, second]) expect((await decrypt(s, before).expect(422)).body.code).toBe('WECHAT_DECRYPT_FAILED');
      const after = t.fake.encryptUserData(first.openid, { n: 2 });
      for (const s of [first, second]) expect((await decrypt(s, after).expect(200)).body.data).toMatchObject({ n: 2 });
      const phone = t.fake.encryptPhoneNumber(first.openid);
      await bindPhone(first, phone).expect(200);
    });

    it('GET /auth/session: expiresAt of this session, sessionKeyValid from checksession (false once WeChat rotated the key, true after the next login)', async () => {
      const first = await login();
      const second = await login(first.openid);
      for (const s of [first, second]) {
        const res = await sessionState(s).expect(200);
        expect(res.body).toEqual({ expiresAt: expect.stringMatching(ISO), sessionKeyValid: true });
        const left = Date.parse(res.body.expiresAt) - Date.now();
        expect(left).toBeGreaterThan(604_800_000 - 60_000);
        expect(left).toBeLessThanOrEqual(604_800_000);
      }
      const code = t.fake.issueLoginCode(first.openid);
      for (const s of [first, second]) expect((await sessionState(s).expect(200)).body.sessionKeyValid).toBe(false);
      await request(t.url).post('/auth/login').send({ code }).expect(200);
      for (const s of [first, second]) expect((await sessionState(s).expect(200)).body.sessionKeyValid).toBe(true);
    });

    it('without a known session_key: decrypting is 422 WECHAT_DECRYPT_FAILED and the key is reported invalid, without asking WeChat', async () => {
      const s = await login();
      const data = t.fake.encryptUserData(s.openid, { a: 1 });
      await t.app.get(KeyValueStore).delete(sessionKeys.wechatSessionKey(s.id));
      const res = await decrypt(s, data).expect(422);
      expect(res.body).toEqual({ statusCode: 422, code: 'WECHAT_DECRYPT_FAILED', message: expect.stringContaining('log in again') });
      expect((await bindPhone(s, t.fake.encryptPhoneNumber(s.openid)).expect(422)).body.code).toBe('WECHAT_DECRYPT_FAILED');
      const before = t.fake.calls('checksession');
      expect((await sessionState(s).expect(200)).body.sessionKeyValid).toBe(false);
      expect(t.fake.calls('checksession')).toBe(before);
      const again = await login(s.openid);
      expect((await decrypt(again, t.fake.encryptUserData(s.openid, { a: 2 })).expect(200)).body.data.a).toBe(2);
    });

    it('GET /auth/session heals a refused access token and maps WeChat failures', async () => {
      const s = await login();
      t.fake.invalidateTokens();
      const before = t.fake.calls('checksession');
      expect((await sessionState(s).expect(200)).body.sessionKeyValid).toBe(true);
      expect(t.fake.calls('checksession')).toBe(before + 2);
      t.fake.failNext('checksession', -1);
      expect((await sessionState(s).expect(503)).body).toMatchObject({ code: 'WECHAT_BUSY', errcode: -1 });
    });
  });

  describe('DELETE /users/me', () => {
    it('removes the row and its personal fields, ends every session; the same openid later is a new user', async () => {
      const first = await login();
      const second = await login(first.openid);
      await patch(first, { nickname: 'Gone', avatarUrl: 'https://e.com/x.png' }).expect(200);
      await bindPhone(first, { code: t.fake.issuePhoneCode(first.openid) }).expect(200);

      await request(t.url).delete('/users/me').set('Authorization', first.auth).expect(204);
      for (const s of [first, second]) {
        expect((await me(s).expect(401)).body.code).toBe('AUTH_TOKEN_INVALID');
        await request(t.url).delete('/users/me').set('Authorization', s.auth).expect(401);
      }
      expect(await t.app.get(DataSource).query('SELECT id FROM `user` WHERE id = ? OR open_id = ?', [first.id, first.openid])).toEqual([]);
      // Nor does the store keep a copy: no snapshot with the phone number, no session_key, no openid mapping.
      const store = t.app.get(KeyValueStore);
      for (const key of [
        sessionKeys.user(first.id),
        sessionKeys.wechatSessionKey(first.id),
        sessionKeys.userIdByOpenid(first.openid),
        sessionKeys.index(first.id),
      ]) {
        expect([key, await store.get(key)]).toEqual([key, null]);
      }
      await request(t.url).get(`/users/${first.id}`).set('Authorization', SERVICE).expect(404);
      await request(t.url).get(`/users?openid=${first.openid}`).set('Authorization', SERVICE).expect(404);

      const again = await login(first.openid);
      expect(again.id).not.toBe(first.id);
      expect(again.login).toMatchObject({ openid: first.openid, nickname: null, avatarUrl: null, phoneNumber: null, countryCode: null });
      expect((await me(again).expect(200)).body.id).toBe(again.id);
    });
  });
});

describeWithServices({ mysql: true, redis: true }, 'user data across two instances (MySQL + Redis)', () => {
  let fake: FakeWechatServer;
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    ({ fake, a, b } = await startTwoApps());
  });
  afterAll(() => closeTwoApps({ fake, a, b }));

  async function login(app: TestApp, openid: string): Promise<string> {
    const res = await request(app.url)
      .post('/auth/login')
      .send({ code: fake.issueLoginCode(openid) })
      .expect(200);
    return `Bearer ${res.body.token}`;
  }

  it('a profile or phone change on one instance is seen at once by every session of the user on the other', async () => {
    const openid = uniqueOpenid();
    const onA = await login(a, openid);
    const onB = await login(b, openid);
    await request(a.url).patch('/users/me').set('Authorization', onA).send({ nickname: 'Across' }).expect(200);
    expect((await request(b.url).get('/users/me').set('Authorization', onB).expect(200)).body.nickname).toBe('Across');
    expect((await request(b.url).get('/users/me').set('Authorization', onA).expect(200)).body.nickname).toBe('Across');
    await request(b.url)
      .post('/users/me/phone')
      .set('Authorization', onB)
      .send({ code: fake.issuePhoneCode(openid) })
      .expect(200);
    expect((await request(a.url).get('/users/me').set('Authorization', onA).expect(200)).body).toMatchObject({
      nickname: 'Across',
      phoneNumber: '13800138000',
    });
  });

  it('the newest session_key, from a login on either instance, is what both instances decrypt with', async () => {
    const openid = uniqueOpenid();
    const onA = await login(a, openid);
    const older = fake.encryptUserData(openid, { v: 'older' });
    const onB = await login(b, openid);
    const newer = fake.encryptUserData(openid, { v: 'newer' });
    for (const [app, auth] of [
      [a, onA],
      [a, onB],
      [b, onA],
      [b, onB],
    ] as const) {
      expect((await request(app.url).post('/auth/decrypt').set('Authorization', auth).send(newer).expect(200)).body.data.v).toBe('newer');
      expect((await request(app.url).post('/auth/decrypt').set('Authorization', auth).send(older).expect(422)).body.code).toBe(
        'WECHAT_DECRYPT_FAILED',
      );
      expect((await request(app.url).get('/auth/session').set('Authorization', auth).expect(200)).body.sessionKeyValid).toBe(true);
    }
  });

  it('concurrent changes on both instances leave every session with the final row', async () => {
    const openid = uniqueOpenid();
    const sessions = [await login(a, openid), await login(b, openid)];
    const id = (await request(a.url).get('/users/me').set('Authorization', sessions[0]).expect(200)).body.id;
    for (let round = 0; round < 3; round += 1) {
      const changes = Array.from({ length: 16 }, (_, i) => {
        const app = i % 2 ? a : b;
        const body = i % 3 ? { nickname: `n-${round}-${i}` } : { avatarUrl: `https://e.com/${round}/${i}.png` };
        return request(app.url)
          .patch('/users/me')
          .set('Authorization', sessions[i % 2])
          .send(body);
      });
      expect((await Promise.all(changes)).map((r) => r.status)).toEqual(Array(16).fill(200));
      const [row] = await a.app.get(DataSource).query('SELECT nickname, avatar_url FROM `user` WHERE id = ?', [id]);
      for (const [app, auth] of [
        [a, sessions[0]],
        [b, sessions[1]],
        [a, sessions[1]],
        [b, sessions[0]],
      ] as const) {
        const seen = (await request(app.url).get('/users/me').set('Authorization', auth).expect(200)).body;
        expect({ nickname: seen.nickname, avatar_url: seen.avatarUrl }).toEqual(row);
      }
    }
  });

  it('a change racing a deletion never revives the deleted user: the next login is a new user', async () => {
    for (let round = 0; round < 5; round += 1) {
      const openid = uniqueOpenid();
      const onA = await login(a, openid);
      const onB = await login(b, openid);
      const id = (await request(a.url).get('/users/me').set('Authorization', onA).expect(200)).body.id;
      const [deleted, changed] = await Promise.all([
        request(a.url).delete('/users/me').set('Authorization', onA),
        request(b.url).patch('/users/me').set('Authorization', onB).send({ nickname: 'late' }),
      ]);
      expect(deleted.status).toBe(204);
      expect([200, 401, 404]).toContain(changed.status);
      await request(b.url).get('/users/me').set('Authorization', onB).expect(401);
      const again = await request(b.url)
        .post('/auth/login')
        .send({ code: fake.issueLoginCode(openid) })
        .expect(200);
      expect(again.body.user).toMatchObject({ openid, nickname: null });
      expect(again.body.user.id).not.toBe(id);
    }
  });

  it('a deletion on one instance ends the sessions on the other, and the next login there is a new user', async () => {
    const openid = uniqueOpenid();
    const onA = await login(a, openid);
    const onB = await login(b, openid);
    const id = (await request(b.url).get('/users/me').set('Authorization', onB).expect(200)).body.id;
    await request(a.url).delete('/users/me').set('Authorization', onA).expect(204);
    await request(b.url).get('/users/me').set('Authorization', onB).expect(401);
    const again = await request(b.url)
      .post('/auth/login')
      .send({ code: fake.issueLoginCode(openid) })
      .expect(200);
    expect(again.body.user.id).not.toBe(id);
  });
});
