import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { AccessTokenService } from '../wechat/access-token.service.js';

/** Reports the access token's state (never the token); informational, never makes /health 503. */
@Injectable()
export class AccessTokenHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly tokens: AccessTokenService,
  ) {}

  async check(key: string) {
    const indicator = this.health.check(key);
    try {
      return indicator.up({ ...(await this.tokens.state()) });
    } catch (error) {
      return indicator.up({ present: null, message: (error as Error).message });
    }
  }
}
