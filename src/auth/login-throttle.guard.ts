import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { DomainError } from '../common/errors/domain.error.js';
import type { AppRequest } from '../common/principal.js';
import type { AppConfig } from '../config/app-config.js';
import { KeyValueStore } from '../redis/key-value.store.js';
import { AuthErrors } from './auth.errors.js';

const WINDOW_MS = 60_000;

export class TooManyLoginsError extends DomainError {
  constructor(readonly retryAfterSeconds: number) {
    const { code, message, status } = AuthErrors.TOO_MANY_LOGINS;
    super(code, message, status, { retryAfter: retryAfterSeconds });
  }
}

/**
 * THROTTLE_LOGIN_LIMIT logins a minute per client IP (0 = off), counted in the shared store so all
 * instances behind one Redis count together. Written here rather than with @nestjs/throttler: that
 * package is CommonJS and cannot load ESM-only NestJS 12 inside jest on Node 20 (see README).
 */
@Injectable()
export class LoginThrottleGuard implements CanActivate {
  private readonly limit: number;

  constructor(
    private readonly store: KeyValueStore,
    config: ConfigService<AppConfig, true>,
  ) {
    this.limit = config.get('throttle', { infer: true }).loginLimit;
  }

  /** Off (0), it answers at once: no promise on every login. */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    return this.limit === 0 || this.count(context);
  }

  private async count(context: ExecutionContext): Promise<boolean> {
    const ip = context.switchToHttp().getRequest<AppRequest>().ip ?? 'unknown';
    const { count, ttlMs } = await this.store.increment(`throttle:login:${ip}`, WINDOW_MS);
    if (count > this.limit) throw new TooManyLoginsError(Math.max(1, Math.ceil(ttlMs / 1000)));
    return true;
  }
}
