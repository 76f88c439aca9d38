import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ManualClock } from '../../test/support/manual-clock.js';
import type { AppConfig, TokenMode } from '../config/app-config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { MemoryKeyValueStore } from '../redis/memory-key-value.store.js';
import { FakeWechatServer } from '../sandbox/fake-wechat.server.js';
import { AccessTokenService } from './access-token.service.js';
import { AccessTokenStore } from './access-token.store.js';
import { WechatClient } from './wechat.client.js';
import { WechatApiError, WechatTransportError } from './wechat.errors.js';

const TIMEOUT_MS = 2000;
const LOCK_TTL_MS = TIMEOUT_MS * 4 + 5_000;

/** The real service on the real in-memory store, the real client and the fake WeChat over HTTP, all on one manual clock. */
async function setUp(mode: TokenMode) {
  const clock = new ManualClock();
  const fake = await FakeWechatServer.start({ now: () => clock.now() });
  const store = new MemoryKeyValueStore(clock);
  const wechat: AppConfig['wechat'] = {
    mode: 'live',
    appId: fake.appId,
    appSecret: fake.appSecret,
    apiBaseUrl: fake.baseUrl,
    tokenMode: mode,
    timeoutMs: TIMEOUT_MS,
    refreshMarginSeconds: 600,
  };
  const config = new ConfigService<AppConfig, true>({ wechat });
  const metrics = new MetricsService();
  const client = new WechatClient(
    { ...wechat, baseUrl: fake.baseUrl, appId: fake.appId, appSecret: fake.appSecret, sandbox: null },
    metrics,
    config,
  );
  const instance = () => new AccessTokenService(client, store, metrics, config, clock);
  const key = `wechat:access-token:{${fake.appId}}`;
  const endpoint = mode === 'stable' ? 'stable_token' : 'token';
  opened.push(fake, store, client);
  return { clock, fake, store, client, instance, key, endpoint, tokens: new AccessTokenStore(store, clock, key) } as const;
}

const opened: Array<{ close(): unknown }> = [];
beforeAll(() => Logger.overrideLogger(false));
afterEach(async () => {
  await Promise.all(opened.splice(0).map((o) => o.close()));
});

describe('AccessTokenService', () => {
  it('fetches once for many concurrent callers in one process (single flight)', async () => {
    const { fake, instance, endpoint } = await setUp('stable');
    const service = instance();
    const tokens = await Promise.all(Array.from({ length: 20 }, () => service.get()));
    expect(new Set(tokens).size).toBe(1);
    expect(fake.calls(endpoint)).toBe(1);
  });

  it('fetches once for concurrent callers in two processes sharing the store (the lock)', async () => {
    const { clock, fake, instance, endpoint } = await setUp('classic');
    const [a, b] = [instance(), instance()];
    // The instance that lost the race for the lock polls the store on the clock until the other stored the token.
    const tokens = await clock.whileWaiting(Promise.all([a.get(), b.get(), a.get(), b.get()]));
    expect(new Set(tokens).size).toBe(1);
    expect(fake.calls(endpoint)).toBe(1);
  });

  it('waits while another instance holds the lock and takes the token it stored, without fetching', async () => {
    const { clock, fake, client, store, instance, key, endpoint, tokens } = await setUp('stable');
    const fetched = await client.fetchAccessToken();
    await store.setIfAbsent(`${key}:lock`, 'other-instance', LOCK_TTL_MS);
    const pending = instance().get();
    await clock.advance(500);
    expect(clock.sleeping).toBe(1);
    await tokens.write(fetched);
    await store.deleteIfEquals(`${key}:lock`, 'other-instance');
    await clock.advance(50);
    await expect(pending).resolves.toBe(fetched.accessToken);
    expect(fake.calls(endpoint)).toBe(1);
  });

  it('takes over the lock of a crashed holder once its TTL has passed', async () => {
    const { clock, fake, store, instance, key, endpoint } = await setUp('stable');
    await store.setIfAbsent(`${key}:lock`, 'crashed-instance', LOCK_TTL_MS);
    const pending = instance().get();
    await clock.advance(LOCK_TTL_MS - 50);
    expect(fake.calls(endpoint)).toBe(0);
    await clock.advance(50);
    await expect(pending).resolves.toEqual(expect.any(String));
    expect(fake.calls(endpoint)).toBe(1);
  });

  it('gives up with a timeout when the lock is held past its deadline', async () => {
    const { clock, fake, store, instance, key, endpoint } = await setUp('stable');
    await store.setIfAbsent(`${key}:lock`, 'stuck-instance', LOCK_TTL_MS * 10);
    const pending = instance().get();
    const outcome = expect(pending).rejects.toMatchObject({ constructor: WechatTransportError, kind: 'timeout', endpoint: 'stable_token' });
    await clock.advance(LOCK_TTL_MS + 100);
    await outcome;
    expect(fake.calls(endpoint)).toBe(0);
  });

  it.each([
    ['classic', 600],
    ['stable', 290],
  ] as const)(
    '%s: the scheduled refresh fetches only within the margin (%i s) and stores the new lifetime',
    async (mode, marginSeconds) => {
      const { clock, fake, instance, endpoint, tokens } = await setUp(mode);
      const service = instance();
      const first = await service.get();
      await clock.advance((7200 - marginSeconds - 1) * 1000);
      await service.refreshIfDue();
      expect(fake.calls(endpoint)).toBe(1);
      await clock.advance(1000);
      await service.refreshIfDue();
      expect(fake.calls(endpoint)).toBe(2);
      const stored = await tokens.read();
      expect(stored?.token).not.toBe(first);
      expect(stored && stored.expiresAt - clock.now()).toBe(7_200_000);
    },
  );

  it('never hands out a token with less than 60 s left, and reuses a usable one without asking WeChat', async () => {
    const { clock, fake, instance, endpoint } = await setUp('classic');
    const service = instance();
    const first = await service.get();
    await clock.advance((7200 - 61) * 1000);
    await expect(service.get()).resolves.toBe(first);
    expect(fake.calls(endpoint)).toBe(1);
    await clock.advance(1000);
    await expect(service.get()).resolves.not.toBe(first);
    expect(fake.calls(endpoint)).toBe(2);
  });

  it('keeps the current token when a scheduled refresh fails, and reports the failure', async () => {
    const { clock, fake, instance, tokens } = await setUp('classic');
    const service = instance();
    const token = await service.get();
    await clock.advance((7200 - 500) * 1000);
    fake.failNext('token', -1, 2);
    await service.refreshIfDue();
    expect((await tokens.read())?.token).toBe(token);
    const state = await service.state();
    expect(state).toEqual({
      present: true,
      expiresInSeconds: 500,
      lastRefreshAt: new Date(clock.now() - (7200 - 500) * 1000).toISOString(),
      // WeChat's errmsg goes to the log only, never to /health.
      lastError: { errcode: -1, at: new Date(clock.now()).toISOString() },
    });
  });

  it('replaces a token WeChat refused and runs the send once more, transparently', async () => {
    const { fake, client, instance, endpoint } = await setUp('classic');
    const service = instance();
    fake.acceptSubscription('o-user', 'tpl', 1);
    const refused = await service.get();
    fake.invalidateTokens();
    const used: string[] = [];
    const msgid = await service.withToken((token) => {
      used.push(token);
      return client.sendSubscribeMessage(token, { touser: 'o-user', templateId: 'tpl', data: { thing1: { value: 'hi' } } });
    });
    expect(msgid).toEqual(expect.any(String));
    expect(used).toHaveLength(2);
    expect(used[0]).toBe(refused);
    expect(used[1]).not.toBe(refused);
    expect(fake.calls(endpoint)).toBe(2);
  });

  it('does not retry a send on errors other than a refused token', async () => {
    const { fake, client, instance } = await setUp('classic');
    const service = instance();
    let sends = 0;
    const send = service.withToken((token) => {
      sends += 1;
      return client.sendSubscribeMessage(token, { touser: 'o-nobody', templateId: 'tpl', data: { thing1: { value: 'hi' } } });
    });
    await expect(send).rejects.toBeInstanceOf(WechatApiError);
    expect(sends).toBe(1);
    expect(fake.calls('subscribe_send')).toBe(1);
  });

  it('stable: forces a new token when WeChat hands back the refused one, within the 30 s spacing of the budget', async () => {
    const { clock, fake, instance, endpoint } = await setUp('stable');
    const service = instance();
    const refused = await service.get();
    const forced = await service.replace(refused);
    expect(forced).not.toBe(refused);
    expect(fake.calls(endpoint)).toBe(3); // the first fetch, the plain one that handed back `refused`, the forced one
    // Within 30 s the budget refuses: WeChat's answer (the same token) is what there is.
    await clock.advance(29_000);
    await expect(service.replace(forced)).resolves.toBe(forced);
    await clock.advance(1000);
    await expect(service.replace(forced)).resolves.not.toBe(forced);
  });

  it('states nothing before the first fetch', async () => {
    const { instance } = await setUp('stable');
    await expect(instance().state()).resolves.toEqual({ present: false, expiresInSeconds: null, lastRefreshAt: null, lastError: null });
  });
});
