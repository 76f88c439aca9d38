import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Clock } from '../common/clock.js';
import { DomainError } from '../common/errors/domain.error.js';
import type { AppConfig } from '../config/app-config.js';
import { KeyValueStore } from '../redis/key-value.store.js';
import { WechatClient, type Code2SessionResult } from '../wechat/wechat.client.js';
import { isWechatError, WechatErrors } from '../wechat/wechat.errors.js';
import { toDomainError, type WechatErrorMapping } from '../wechat/wechat-error.mapping.js';
import { AuthErrors } from './auth.errors.js';

// A wx.login code lives 5 minutes at WeChat; keeping its first result that long turns a client's or
// proxy's retry of the same code into the same user instead of WeChat's 40163 (wechat-api.md §9).
const RESULT_TTL_MS = 5 * 60_000;
// A failure is kept only long enough for the requests waiting on the same call to read it; a
// transient one (WeChat busy or unreachable) even shorter, so the client's own retry calls again.
const REFUSAL_TTL_MS = 5_000;
const TRANSIENT_FAILURE_TTL_MS = 1_000;
const POLL_MS = 20;
const PENDING = 'pending';

const LOGIN_ERRORS: WechatErrorMapping = {
  invalid_code: AuthErrors.WECHAT_INVALID_CODE,
  code_used: AuthErrors.WECHAT_CODE_USED,
  code_blocked: AuthErrors.WECHAT_CODE_BLOCKED,
};

type Outcome = { ok: Code2SessionResult } | { error: { code: string; message: string; status: number; details: Record<string, unknown> } };

/**
 * code → WeChat identity with one jscode2session call per code, however many requests carry it on
 * however many instances: one promise per code in this process, and a claim in the shared store
 * (SET NX) across processes. Whoever holds the claim calls WeChat and stores the outcome; the others
 * wait for it (within WECHAT_TIMEOUT_MS and a margin) and answer the same.
 */
@Injectable()
export class LoginCodeExchange {
  private readonly inFlight = new Map<string, Promise<Code2SessionResult>>();
  private readonly claimTtlMs: number;

  constructor(
    private readonly wechat: WechatClient,
    private readonly store: KeyValueStore,
    private readonly clock: Clock,
    config: ConfigService<AppConfig, true>,
  ) {
    // The holder answers within its WeChat timeout; a holder that died frees the claim soon after.
    this.claimTtlMs = config.get('wechat', { infer: true }).timeoutMs + 2_000;
  }

  exchange(code: string): Promise<Code2SessionResult> {
    const key = `login-code:${createHash('sha256').update(code).digest('hex')}`;
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.resolve(key, code).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  private async resolve(key: string, code: string): Promise<Code2SessionResult> {
    const deadline = this.clock.now() + this.claimTtlMs + 1_000;
    for (;;) {
      if (await this.store.setIfAbsent(key, PENDING, this.claimTtlMs)) return this.callWechat(key, code);
      const stored = await this.store.get(key);
      if (stored !== null && stored !== PENDING) return settle(JSON.parse(stored) as Outcome);
      if (this.clock.now() > deadline) {
        throw WechatErrors.WECHAT_TIMEOUT();
      }
      if (stored === PENDING) await this.clock.sleep(POLL_MS);
    }
  }

  private async callWechat(key: string, code: string): Promise<Code2SessionResult> {
    let outcome: Outcome;
    try {
      outcome = { ok: await this.wechat.code2Session(code) };
    } catch (error) {
      if (!isWechatError(error)) {
        await this.store.delete(key).catch(() => undefined);
        throw error;
      }
      const refused = toDomainError(error, LOGIN_ERRORS);
      outcome = { error: { code: refused.code, message: refused.message, status: refused.status, details: refused.details } };
      await this.store.set(key, JSON.stringify(outcome), refused.status >= 500 || refused.status === 429 ? TRANSIENT_FAILURE_TTL_MS : REFUSAL_TTL_MS).catch(() => undefined);
      throw refused;
    }
    await this.store.set(key, JSON.stringify(outcome), RESULT_TTL_MS);
    return outcome.ok;
  }
}

function settle(outcome: Outcome): Code2SessionResult {
  if ('ok' in outcome) return outcome.ok;
  const { code, message, status, details } = outcome.error;
  throw new DomainError(code, message, status, details);
}
