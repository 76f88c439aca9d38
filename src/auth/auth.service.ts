import { createHash } from 'node:crypto';
import { CACHE_MANAGER } from '@nestjs/cache-manager';
import { Inject, Injectable } from '@nestjs/common';
import type { Cache } from 'cache-manager';
import { UsersRepository } from '../users/users.repository.js';
import { WechatClient, type Code2SessionResult } from '../wechat/wechat.client.js';
import { isWechatError } from '../wechat/wechat.errors.js';
import { toDomainError, type WechatErrorMapping } from '../wechat/wechat-error.mapping.js';
import { AuthErrors } from './auth.errors.js';
import type { LoginResponseDto } from './dto/login-response.dto.js';
import { SessionStore } from './session.store.js';

// A wx.login code lives 5 minutes at WeChat; keeping its first result that long turns a client's or
// proxy's retry of the same code into the same user instead of WeChat's 40163 (wechat-api.md §9).
const CODE_RESULT_TTL_MS = 5 * 60_000;

const LOGIN_ERRORS: WechatErrorMapping = {
  invalid_code: AuthErrors.WECHAT_INVALID_CODE,
  code_used: AuthErrors.WECHAT_CODE_USED,
  code_blocked: AuthErrors.WECHAT_CODE_BLOCKED,
};

@Injectable()
export class AuthService {
  constructor(
    private readonly wechat: WechatClient,
    private readonly users: UsersRepository,
    private readonly sessions: SessionStore,
    @Inject(CACHE_MANAGER) private readonly cache: Cache,
  ) {}

  async login(code: string): Promise<LoginResponseDto> {
    const identity = await this.exchange(code);
    const user = await this.users.upsertFromWechat(identity.openid, identity.unionid);
    const session = await this.sessions.create({
      userId: user.id,
      openid: user.openId,
      unionid: user.unionId,
      sessionKey: identity.sessionKey,
      createdAt: new Date().toISOString(),
    });
    return { ...session, user: { id: user.id, openid: user.openId, unionid: user.unionId } };
  }

  logout(sessionId: string): Promise<void> {
    return this.sessions.revoke(sessionId);
  }

  private async exchange(code: string): Promise<Code2SessionResult> {
    const cacheKey = `login-code:${createHash('sha256').update(code).digest('hex')}`;
    const cached = await this.cache.get<Code2SessionResult>(cacheKey);
    if (cached) return cached;
    try {
      const identity = await this.wechat.code2Session(code);
      await this.cache.set(cacheKey, identity, CODE_RESULT_TTL_MS);
      return identity;
    } catch (error) {
      throw isWechatError(error) ? toDomainError(error, LOGIN_ERRORS) : error;
    }
  }
}
