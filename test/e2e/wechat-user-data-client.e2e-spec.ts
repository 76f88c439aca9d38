import { AccessTokenService } from '../../src/wechat/access-token.service.js';
import { WechatClient } from '../../src/wechat/wechat.client.js';
import { startTestApp, type TestApp, uniqueOpenid } from '../support/test-app.js';

/** The WechatClient's user-data calls (wechat-api.md §6) against the fake over HTTP. */
describe('WechatClient: getuserphonenumber and checksession', () => {
  let t: TestApp;
  let client: WechatClient;
  let tokens: AccessTokenService;

  beforeAll(async () => {
    t = await startTestApp();
    client = t.app.get(WechatClient);
    tokens = t.app.get(AccessTokenService);
  });
  afterAll(() => t.close());

  async function sessionKeyAfterLogin(openid: string): Promise<string> {
    return (await client.code2Session(t.fake.issueLoginCode(openid))).sessionKey;
  }

  it('reads phone_info, countryCode as a string whether WeChat sent a string or a number', async () => {
    const openid = uniqueOpenid();
    const token = await tokens.get();
    const asString = await client.getUserPhoneNumber(token, t.fake.issuePhoneCode(openid), openid);
    const asNumber = await client.getUserPhoneNumber(
      token,
      t.fake.issuePhoneCode(openid, { purePhoneNumber: '4155550100', countryCode: '1' }),
      openid,
    );
    const results = [asString, asNumber].sort((a, b) => a.countryCode.localeCompare(b.countryCode));
    expect(results).toEqual([
      { phoneNumber: '+14155550100', purePhoneNumber: '4155550100', countryCode: '1', watermarkAppId: t.fake.appId },
      { phoneNumber: '13800138000', purePhoneNumber: '13800138000', countryCode: '86', watermarkAppId: t.fake.appId },
    ]);
  });

  it("turns 40029 (used, unknown or another user's code) into an invalid_code WechatApiError, without retrying", async () => {
    const openid = uniqueOpenid();
    const token = await tokens.get();
    const code = t.fake.issuePhoneCode(openid);
    await client.getUserPhoneNumber(token, code, openid);
    const before = t.fake.calls('getuserphonenumber');
    await expect(client.getUserPhoneNumber(token, code, openid)).rejects.toMatchObject({
      name: 'WechatApiError',
      endpoint: 'getuserphonenumber',
      kind: 'invalid_code',
      errcode: 40029,
    });
    await expect(client.getUserPhoneNumber(token, t.fake.issuePhoneCode(uniqueOpenid()), openid)).rejects.toMatchObject({ errcode: 40029 });
    expect(t.fake.calls('getuserphonenumber')).toBe(before + 2);
  });

  it('heals a replaced (40001) or expired (42001) access token through AccessTokenService.withToken, once', async () => {
    for (const spoil of [() => t.fake.invalidateTokens(), () => t.fake.expireTokens()]) {
      const openid = uniqueOpenid();
      await tokens.get();
      spoil();
      const before = t.fake.calls('getuserphonenumber');
      const info = await tokens.withToken((token) => client.getUserPhoneNumber(token, t.fake.issuePhoneCode(openid), openid));
      expect(info.purePhoneNumber).toBe('13800138000');
      expect(t.fake.calls('getuserphonenumber')).toBe(before + 2);
    }
  });

  it('checksession: true for the newest session_key, false (87009) once WeChat rotated it, errors thrown', async () => {
    const openid = uniqueOpenid();
    const key = await sessionKeyAfterLogin(openid);
    const token = await tokens.get();
    await expect(client.checkSessionKey(token, openid, key)).resolves.toBe(true);
    t.fake.issueLoginCode(openid);
    await expect(client.checkSessionKey(token, openid, key)).resolves.toBe(false);
    await expect(client.checkSessionKey(token, openid, t.fake.sessionKey(openid) as string)).resolves.toBe(true);
    t.fake.failNext('checksession', -1);
    await expect(client.checkSessionKey(token, openid, key)).rejects.toMatchObject({ endpoint: 'checksession', kind: 'busy', errcode: -1 });
    await expect(client.checkSessionKey('80_not-a-token', openid, key)).rejects.toMatchObject({ kind: 'token_invalid', errcode: 40001 });
  });

  it('checksession heals a replaced access token through withToken', async () => {
    const openid = uniqueOpenid();
    const key = await sessionKeyAfterLogin(openid);
    await tokens.get();
    t.fake.invalidateTokens();
    const before = t.fake.calls('checksession');
    await expect(tokens.withToken((token) => client.checkSessionKey(token, openid, key))).resolves.toBe(true);
    expect(t.fake.calls('checksession')).toBe(before + 2);
  });
});
