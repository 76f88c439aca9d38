import { createHash, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../config/app-config.js';
import { KeyValueStore } from '../redis/key-value.store.js';

export interface SessionData {
  userId: number;
  openid: string;
  unionid: string | null;
  /** Server side only, for later features (decrypting user data); never sent to a client. */
  sessionKey: string;
  createdAt: string;
}

export interface Session {
  sessionId: string;
  data: SessionData;
}

/**
 * Sessions in the shared store. The token is a random UUID v4 handed to the client; the store key
 * is its SHA-256, so reading Redis does not reveal usable tokens. No in-process copy: an expired or
 * deleted key is a 401 at once on every instance.
 */
@Injectable()
export class SessionStore {
  readonly ttlSeconds: number;

  constructor(
    private readonly store: KeyValueStore,
    config: ConfigService<AppConfig, true>,
  ) {
    this.ttlSeconds = config.get('auth', { infer: true }).sessionTtlSeconds;
  }

  async create(data: SessionData): Promise<{ token: string; expiresIn: number }> {
    const token = randomUUID();
    await this.store.set(this.key(sessionIdOf(token)), JSON.stringify(data), this.ttlSeconds * 1000);
    return { token, expiresIn: this.ttlSeconds };
  }

  async find(token: string): Promise<Session | null> {
    const sessionId = sessionIdOf(token);
    const raw = await this.store.get(this.key(sessionId));
    return raw ? { sessionId, data: JSON.parse(raw) as SessionData } : null;
  }

  async revoke(sessionId: string): Promise<void> {
    await this.store.delete(this.key(sessionId));
  }

  private key(sessionId: string): string {
    return `session:${sessionId}`;
  }
}

export function sessionIdOf(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
