import type { ConfigService } from '@nestjs/config';
import { ManualClock } from '../../test/support/manual-clock.js';
import type { AppConfig } from '../config/app-config.js';
import { MemoryKeyValueStore } from '../redis/memory-key-value.store.js';
import { sessionKeys } from './session.keys.js';
import { SessionStore } from './session.store.js';
import type { UserSnapshot } from './user-snapshot.js';

const TTL_SECONDS = 3600;

function setUp(maxPerUser = 10) {
  const clock = new ManualClock();
  const store = new MemoryKeyValueStore(clock);
  const config = {
    get: () => ({ sessionTtlSeconds: TTL_SECONDS, sessionMaxPerUser: maxPerUser, serviceTokens: new Map() }),
  } as unknown as ConfigService<AppConfig, true>;
  return { clock, store, sessions: new SessionStore(store, clock, config) };
}

function user(id: number, changes: Partial<UserSnapshot> = {}): UserSnapshot {
  return {
    id,
    openid: `o-${id}`,
    unionid: null,
    nickname: null,
    avatarUrl: null,
    phoneNumber: null,
    countryCode: null,
    createdAt: '2026-12-01T00:00:00.000Z',
    updatedAt: '2026-12-01T00:00:00.000Z',
    ...changes,
  };
}

describe('SessionStore (in-process store, injected clock)', () => {
  let s: ReturnType<typeof setUp>;
  beforeEach(() => {
    s = setUp();
  });
  afterEach(() => s.store.close());

  it('opens a session that carries the user and is found from its token alone', async () => {
    const opened = await s.sessions.create(7, 'key-1', user(7));
    expect(opened).toEqual({ token: expect.stringMatching(/^7\.[A-Za-z0-9_-]{32}$/), expiresIn: TTL_SECONDS, user: user(7) });
    const found = await s.sessions.find(opened!.token);
    expect(found).toEqual({
      userId: 7,
      sessionId: expect.any(String),
      createdAt: s.clock.now(),
      expiresAt: s.clock.now() + TTL_SECONDS * 1000,
      user: user(7),
    });
    expect(await s.sessions.find(`8.${opened!.token.slice(2)}`)).toBeNull();
    expect(await s.sessions.find('not a token')).toBeNull();
  });

  it('needs a snapshot for a user it has none of, and then uses the stored one over a stale fallback', async () => {
    expect(await s.sessions.create(7, 'key-1')).toBeNull();
    await s.sessions.create(7, 'key-1', user(7, { unionid: 'u1' }));
    const second = await s.sessions.create(7, 'key-2', user(7));
    expect(second!.user.unionid).toBe('u1');
    const third = await s.sessions.create(7, 'key-3');
    expect(third!.user.unionid).toBe('u1');
  });

  it('expires a session after the TTL', async () => {
    const opened = await s.sessions.create(7, 'key-1', user(7));
    await s.clock.advance(TTL_SECONDS * 1000 - 1);
    expect(await s.sessions.find(opened!.token)).not.toBeNull();
    await s.clock.advance(1);
    expect(await s.sessions.find(opened!.token)).toBeNull();
  });

  it('refreshUser rewrites every live session of the user, keeping each expiry, and leaves other users alone', async () => {
    const first = await s.sessions.create(7, 'k', user(7));
    await s.clock.advance(60_000);
    const second = await s.sessions.create(7, 'k', user(7));
    const other = await s.sessions.create(8, 'k', user(8));

    const rewritten = await s.sessions.refreshUser(user(7, { unionid: 'new-union', updatedAt: '2026-12-02T00:00:00.000Z' }));

    expect(rewritten).toBe(2);
    const [one, two] = await Promise.all([s.sessions.find(first!.token), s.sessions.find(second!.token)]);
    expect(one!.user.unionid).toBe('new-union');
    expect(two!.user).toEqual(user(7, { unionid: 'new-union', updatedAt: '2026-12-02T00:00:00.000Z' }));
    expect(two!.expiresAt - one!.expiresAt).toBe(60_000);
    expect((await s.sessions.find(other!.token))!.user).toEqual(user(8));
    // The TTL of the first session did not restart with the rewrite.
    await s.clock.advance(TTL_SECONDS * 1000 - 60_000);
    expect(await s.sessions.find(first!.token)).toBeNull();
    expect(await s.sessions.find(second!.token)).not.toBeNull();
    // A new session copies the refreshed snapshot, whatever fallback the caller has.
    expect((await s.sessions.create(7, 'k', user(7)))!.user.unionid).toBe('new-union');
  });

  it('refreshUser writes the openid mapping and drops index entries of expired sessions', async () => {
    await s.sessions.create(7, 'k', user(7));
    await s.clock.advance(TTL_SECONDS * 1000);
    expect(await s.sessions.refreshUser(user(7, { unionid: 'x' }))).toBe(0);
    expect(await s.sessions.userIdOf('o-7')).toBe(7);
    expect(
      await s.store.runScript({ name: 'count', lua: '', local: (st) => st.zrangeWithScores(sessionKeys.index(7)).length }, [], []),
    ).toBe(0);
  });

  it('ends one session, or all of a user at once', async () => {
    const [a, b, c] = [
      await s.sessions.create(7, 'k', user(7)),
      await s.sessions.create(7, 'k', user(7)),
      await s.sessions.create(8, 'k', user(8)),
    ];
    const found = await s.sessions.find(a!.token);
    await s.sessions.end(7, found!.sessionId);
    expect(await s.sessions.find(a!.token)).toBeNull();
    expect(await s.sessions.find(b!.token)).not.toBeNull();

    expect(await s.sessions.endAllForUser(7)).toBe(1);
    expect(await s.sessions.find(b!.token)).toBeNull();
    expect(await s.sessions.find(c!.token)).not.toBeNull();
    // The snapshot stays: the next login needs no database.
    expect(await s.sessions.create(7, 'k')).not.toBeNull();
  });

  it('caps the live sessions of a user: the oldest ends first, even when created in the same millisecond', async () => {
    s = setUp(3);
    const tokens: string[] = [];
    for (let i = 0; i < 5; i += 1) tokens.push((await s.sessions.create(7, 'k', user(7)))!.token);
    const live = await Promise.all(tokens.map(async (token) => (await s.sessions.find(token)) !== null));
    expect(live).toEqual([false, false, true, true, true]);
  });

  it('keeps the newest session_key per user and forgets everything on forgetUser', async () => {
    const opened = await s.sessions.create(7, 'key-1', user(7));
    await s.sessions.rememberOpenid('o-7', 7);
    await s.sessions.create(7, 'key-2');
    expect(await s.sessions.sessionKeyOf(7)).toBe('key-2');

    await s.sessions.forgetUser(user(7));

    expect(await s.sessions.find(opened!.token)).toBeNull();
    expect(await s.sessions.sessionKeyOf(7)).toBeNull();
    expect(await s.sessions.userIdOf('o-7')).toBeNull();
    expect(await s.sessions.create(7, 'key-3')).toBeNull();
  });

  it('never stores the token itself', async () => {
    const opened = await s.sessions.create(7, 'k', user(7));
    const found = await s.sessions.find(opened!.token);
    expect(found!.sessionId).not.toContain(opened!.token.split('.')[1]);
    expect(await s.store.get(sessionKeys.session(7, opened!.token))).toBeNull();
    expect(await s.store.get(sessionKeys.session(7, found!.sessionId))).not.toContain(opened!.token);
  });
});
