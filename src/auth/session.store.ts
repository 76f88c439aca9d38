import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Clock } from '../common/clock.js';
import type { AppConfig } from '../config/app-config.js';
import { KeyValueStore, type ScriptReply } from '../redis/key-value.store.js';
import { newToken, parseToken, sessionKeys } from './session.keys.js';
import { CREATE_SESSION, END_ALL_SESSIONS, END_SESSION, REFRESH_USER } from './session.scripts.js';
import type { UserSnapshot } from './user-snapshot.js';

export interface Session {
  userId: number;
  /** Identifies the session in the store (the token's hash), so logout needs no token. */
  sessionId: string;
  createdAt: number;
  expiresAt: number;
  user: UserSnapshot;
}

export interface OpenedSession {
  token: string;
  expiresIn: number;
  /** The snapshot the session carries (the stored one, when a newer one than the caller's exists). */
  user: UserSnapshot;
}

interface StoredSession {
  c: number;
  e: number;
  user: UserSnapshot;
}

// How long a user's snapshot, session_key and openid mapping outlive its last login or change: at
// least as long as any session, and long enough that a returning user logs in without SQL.
const USER_DATA_MIN_TTL_MS = 30 * 24 * 3600 * 1000;

/**
 * Sessions in the shared store, each carrying its user's snapshot so the guard answers from one read.
 * A per-user index lets one atomic script rewrite (refreshUser) or end (endAllForUser) every live
 * session of a user at once, for every instance, and caps their number (oldest ends first).
 * No in-process copy: a change or a logout is seen by every instance on its next request.
 */
@Injectable()
export class SessionStore {
  readonly ttlSeconds: number;
  private readonly ttlMs: number;
  private readonly maxPerUser: number;
  private readonly userDataTtlMs: number;

  constructor(
    private readonly store: KeyValueStore,
    private readonly clock: Clock,
    @Inject(ConfigService) config: ConfigService<AppConfig, true>,
  ) {
    const auth = config.get('auth', { infer: true });
    this.ttlSeconds = auth.sessionTtlSeconds;
    this.ttlMs = auth.sessionTtlSeconds * 1000;
    this.maxPerUser = auth.sessionMaxPerUser;
    this.userDataTtlMs = Math.max(USER_DATA_MIN_TTL_MS, this.ttlMs);
  }

  /**
   * Opens a session for the user and records WeChat's newest session_key. Uses the stored snapshot,
   * else `fallback`; null when neither exists (the caller reads the user and calls again with it).
   */
  async create(userId: number, wechatSessionKey: string, fallback?: UserSnapshot): Promise<OpenedSession | null> {
    const token = newToken(userId);
    const { sessionId } = parseToken(token)!;
    const now = this.clock.now();
    const reply = (await this.store.runScript(
      CREATE_SESSION,
      [sessionKeys.session(userId, sessionId), sessionKeys.index(userId), sessionKeys.user(userId), sessionKeys.wechatSessionKey(userId)],
      [
        sessionId,
        String(now),
        String(this.ttlMs),
        String(this.maxPerUser),
        `{"c":${now},"e":${now + this.ttlMs},"user":`,
        fallback ? JSON.stringify(fallback) : '',
        wechatSessionKey,
        String(this.userDataTtlMs),
        sessionKeys.sessionPrefix(userId),
      ],
    )) as [number, string?];
    if (Number(reply[0]) !== 1) return null;
    return { token, expiresIn: this.ttlSeconds, user: JSON.parse(reply[1]!) as UserSnapshot };
  }

  /** The one store read of the guard (a `then`, not an async function: one promise fewer per guarded request). */
  find(token: string): Promise<Session | null> {
    const parsed = parseToken(token);
    if (!parsed) return Promise.resolve(null);
    return this.store.get(sessionKeys.session(parsed.userId, parsed.sessionId)).then((raw) => {
      if (raw === null) return null;
      const stored = JSON.parse(raw) as StoredSession;
      return { userId: parsed.userId, sessionId: parsed.sessionId, createdAt: stored.c, expiresAt: stored.e, user: stored.user };
    });
  }

  /** Ends the session of a token. */
  async revoke(token: string): Promise<void> {
    const parsed = parseToken(token);
    if (parsed) await this.end(parsed.userId, parsed.sessionId);
  }

  async end(userId: number, sessionId: string): Promise<void> {
    await this.store.runScript(END_SESSION, [sessionKeys.session(userId, sessionId), sessionKeys.index(userId)], [sessionId]);
  }

  /** Ends every session of the user (logout-all, revocation by a service). Returns how many were live. */
  endAllForUser(userId: number): Promise<number> {
    return this.endAll(userId, false);
  }

  /**
   * For account deletion: ends every session and drops what the store knows of the user (snapshot,
   * session_key, openid mapping), so a later login of that openid goes to the database and finds a new user.
   */
  async forgetUser(user: Pick<UserSnapshot, 'id' | 'openid'>): Promise<void> {
    await this.store.delete(sessionKeys.userIdByOpenid(user.openid));
    await this.endAll(user.id, true);
  }

  /**
   * Call after every change to a user through the API (the database written first): stores the new
   * snapshot and rewrites every live session of the user with it, atomically; updates the openid mapping.
   * Returns how many sessions were rewritten.
   */
  async refreshUser(user: UserSnapshot): Promise<number> {
    const rewritten = await this.store.runScript(
      REFRESH_USER,
      [sessionKeys.index(user.id), sessionKeys.user(user.id)],
      [JSON.stringify(user), String(this.clock.now()), String(this.ttlMs), sessionKeys.sessionPrefix(user.id), String(this.userDataTtlMs)],
    );
    await this.rememberOpenid(user.openid, user.id);
    return Number(rewritten);
  }

  /** The newest session_key WeChat gave for the user's openid (written on every login). Never send it to a client. */
  sessionKeyOf(userId: number): Promise<string | null> {
    return this.store.get(sessionKeys.wechatSessionKey(userId));
  }

  async userIdOf(openid: string): Promise<number | null> {
    const raw = await this.store.get(sessionKeys.userIdByOpenid(openid));
    return raw === null ? null : Number(raw);
  }

  async rememberOpenid(openid: string, userId: number): Promise<void> {
    await this.store.set(sessionKeys.userIdByOpenid(openid), String(userId), this.userDataTtlMs);
  }

  private async endAll(userId: number, forget: boolean): Promise<number> {
    const ended: ScriptReply = await this.store.runScript(
      END_ALL_SESSIONS,
      [sessionKeys.index(userId), sessionKeys.user(userId), sessionKeys.wechatSessionKey(userId)],
      [sessionKeys.sessionPrefix(userId), forget ? '1' : '0'],
    );
    return Number(ended);
  }
}
