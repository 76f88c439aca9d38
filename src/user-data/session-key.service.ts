import { Injectable } from '@nestjs/common';
import { SessionStore } from '../auth/session.store.js';
import type { UserPrincipal } from '../common/principal.js';
import { AccessTokenService } from '../wechat/access-token.service.js';
import { decryptUserData, type EncryptedData, EncryptedDataError } from '../wechat/encrypted-data.crypto.js';
import { WechatClient } from '../wechat/wechat.client.js';
import { isWechatError } from '../wechat/wechat.errors.js';
import { toDomainError } from '../wechat/wechat-error.mapping.js';
import { UserDataErrors } from './user-data.errors.js';

export interface SessionState {
  expiresAt: string;
  sessionKeyValid: boolean;
}

/**
 * Everything done with WeChat's session_key, which never leaves the server: decrypting what wx APIs
 * gave the client, and asking WeChat whether the key is still valid. The key used is always the newest
 * one WeChat gave for the user's openid (the session store keeps it per user; every login rotates it).
 */
@Injectable()
export class SessionKeyService {
  constructor(
    private readonly sessions: SessionStore,
    private readonly wechat: WechatClient,
    private readonly tokens: AccessTokenService,
  ) {}

  /** The decrypted JSON object; 422 when it does not decrypt with the current key or is another app's. */
  async decrypt(userId: number, data: EncryptedData): Promise<Record<string, unknown>> {
    const sessionKey = await this.sessions.sessionKeyOf(userId);
    if (sessionKey === null) throw UserDataErrors.SESSION_KEY_UNKNOWN();
    try {
      return decryptUserData(sessionKey, data, this.wechat.appId);
    } catch (error) {
      if (!(error instanceof EncryptedDataError)) throw error;
      throw error.kind === 'wrong_app' ? UserDataErrors.WECHAT_DATA_WRONG_APP() : UserDataErrors.WECHAT_DECRYPT_FAILED();
    }
  }

  /** WeChat's checksession on the newest key; token errors healed as for sends. */
  async state(principal: UserPrincipal): Promise<SessionState> {
    const expiresAt = new Date(principal.expiresAt).toISOString();
    const sessionKey = await this.sessions.sessionKeyOf(principal.userId);
    if (sessionKey === null) return { expiresAt, sessionKeyValid: false };
    try {
      const valid = await this.tokens.withToken((token) => this.wechat.checkSessionKey(token, principal.openid, sessionKey));
      return { expiresAt, sessionKeyValid: valid };
    } catch (error) {
      throw isWechatError(error) ? toDomainError(error) : error;
    }
  }
}
