import { hash } from 'node:crypto';
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

export interface Exchanged {
  identity: Code2SessionResult;
  recorded: Promise<void>;
}
const DONE = Promise.resolve();

type Outcome = { ok: Code2SessionResult } | { error: { code: string; message: string; status: number; details: Record<string, unknown> } };

/**
 * code → WeChat identity with one jscode2session call per code, however many requests carry it on
 * however many instances: a claim in the shared store (SET NX). Whoever holds the claim calls WeChat
 * and stores the outcome; the others, in this process or another, poll for it (within
 * WECHAT_TIMEOUT_MS and a margin) and answer the same.
 *
 * No map of the promises in flight in this process: a long-lived Map that gains and loses an entry
 * per login gets its replacement tables allocated in the old generation, and each replaced table
 * keeps the promises it held, with every request awaiting them, through young-generation
 * collections until the next full one. A repeated code is rare enough to wait a poll.
 */
@Injectable()
export class LoginCodeExchange {
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

  /**
   * The identity behind a code, and `recorded`: the write that shares a fresh result with concurrent
   * and retried requests, still in flight so the caller's next store command goes out with it.
   */
  async exchange(code: string): Promise<Exchanged> {
    const key = `login-code:${hash('sha256', code, 'hex')}`;
    const deadline = this.clock.now() + this.claimTtlMs + 1_000;
    for (;;) {
      if (await this.store.setIfAbsent(key, PENDING, this.claimTtlMs)) return this.callWechat(key, code);
      const stored = await this.store.get(key);
      if (stored !== null && stored !== PENDING) return { identity: settle(JSON.parse(stored) as Outcome), recorded: DONE };
      if (this.clock.now() > deadline) throw WechatErrors.WECHAT_TIMEOUT();
      if (stored === PENDING) await this.clock.sleep(POLL_MS);
    }
  }

  private async callWechat(key: string, code: string): Promise<Exchanged> {
    let identity: Code2SessionResult;
    try {
      identity = await this.wechat.code2Session(code);
    } catch (error) {
      if (!isWechatError(error)) {
        await this.store.delete(key).catch(() => undefined);
        throw error;
      }
      const refused = toDomainError(error, LOGIN_ERRORS);
      const outcome: Outcome = {
        error: { code: refused.code, message: refused.message, status: refused.status, details: refused.details },
      };
      const ttl = refused.status >= 500 || refused.status === 429 ? TRANSIENT_FAILURE_TTL_MS : REFUSAL_TTL_MS;
      await this.store.set(key, JSON.stringify(outcome), ttl).catch(() => undefined);
      throw refused;
    }
    const outcome: Outcome = { ok: identity };
    return { identity, recorded: this.store.set(key, JSON.stringify(outcome), RESULT_TTL_MS) };
  }
}

function settle(outcome: Outcome): Code2SessionResult {
  if ('ok' in outcome) return outcome.ok;
  const { code, message, status, details } = outcome.error;
  throw new DomainError(code, message, status, details);
}
