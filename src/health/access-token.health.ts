import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { AppConfig } from '../config/app-config.js';
import { AccessTokenService } from '../wechat/access-token.service.js';

/**
 * Which WeChat this is (`mode`: sandbox or live) and the access token's state (never the token,
 * never WeChat's errmsg); informational, never makes /health 503. Its store read has the store's
 * deadline, so it cannot hold /health up either.
 */
@Injectable()
export class AccessTokenHealthIndicator {
  private readonly mode: AppConfig['wechat']['mode'];

  constructor(
    private readonly health: HealthIndicatorService,
    private readonly tokens: AccessTokenService,
    config: ConfigService<AppConfig, true>,
  ) {
    this.mode = config.get('wechat', { infer: true }).mode;
  }

  wechat(key: string) {
    return this.health.check(key).up({ mode: this.mode });
  }

  async check(key: string) {
    const indicator = this.health.check(key);
    try {
      return indicator.up({ ...(await this.tokens.state()) });
    } catch {
      return indicator.up({ present: null });
    }
  }
}
