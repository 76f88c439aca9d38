import { Injectable, Logger } from '@nestjs/common';
import { MetricsService } from '../metrics/metrics.service.js';
import { UsersRepository } from '../users/users.repository.js';
import type { Code2SessionResult } from '../wechat/wechat.client.js';
import { LoginCodeExchange } from './login-code.exchange.js';
import { type OpenedSession, SessionStore } from './session.store.js';
import { snapshotOf, type UserSnapshot } from './user-snapshot.js';

@Injectable()
export class AuthService {
  private readonly logger = new Logger(AuthService.name);

  constructor(
    private readonly codes: LoginCodeExchange,
    private readonly users: UsersRepository,
    private readonly sessions: SessionStore,
    private readonly metrics: MetricsService,
  ) {}

  /** Every successful login opens one session for its client (sessions_created_total). */
  async login(code: string): Promise<OpenedSession> {
    const opened = await this.openSession(code);
    this.metrics.countSessionCreated();
    return opened;
  }

  /**
   * A repeat login is answered from the store (openid → id, then the session script copies the
   * stored snapshot): no SQL. A first login, a user the store has forgotten, or a new unionid goes
   * to the database, which stays the one authority on users (one row per openid).
   */
  private async openSession(code: string): Promise<OpenedSession> {
    const { identity, recorded } = await this.codes.exchange(code);
    // Store commands issued together leave in one write: the code's result and the openid lookup.
    const [knownId] = await Promise.all([this.sessions.userIdOf(identity.openid), recorded]);
    const opened = knownId === null ? null : await this.open(knownId, identity);
    if (opened && (identity.unionid === null || opened.user.unionid === identity.unionid)) return opened;

    if (opened) {
      const user = snapshotOf(await this.users.upsertFromWechat(identity.openid, identity.unionid));
      if (opened.user.id === user.id) {
        // WeChat sent a new unionid: the row has it now, and so does every session of the user.
        await this.sessions.refreshUser(user);
        return { ...opened, user };
      }
      await this.sessions.revoke(opened.token);
      return this.openFirst(identity, user);
    }
    return this.openFirst(identity, snapshotOf(await this.users.insertOrFindFromWechat(identity.openid, identity.unionid)));
  }

  logout(userId: number, sessionId: string): Promise<void> {
    return this.sessions.end(userId, sessionId);
  }

  async logoutAll(userId: number): Promise<void> {
    await this.sessions.endAllForUser(userId);
  }

  private async openFirst(identity: Code2SessionResult, user: UserSnapshot): Promise<OpenedSession> {
    const [, created] = await Promise.all([this.sessions.rememberOpenid(identity.openid, user.id), this.open(user.id, identity, user)]);
    if (!created) throw new Error(`no session opened for user ${user.id} despite its snapshot`);
    return created;
  }

  /**
   * Opens a session with the stored snapshot (else `fallback`). A stored snapshot of another openid
   * means the store outlived its database (ids were reused): it is dropped, never trusted.
   */
  private async open(userId: number, identity: Code2SessionResult, fallback?: UserSnapshot): Promise<OpenedSession | null> {
    const opened = await this.sessions.create(userId, identity.sessionKey, fallback);
    if (!opened || opened.user.openid === identity.openid) return opened;
    this.logger.warn(`Stored snapshot of user ${userId} names another openid; dropping what the store knows of that user`);
    await this.sessions.forgetUser(opened.user);
    return fallback ? this.sessions.create(userId, identity.sessionKey, fallback) : null;
  }
}
