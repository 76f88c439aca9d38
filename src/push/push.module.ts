import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { Inject, Logger, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { HttpAdapterHost } from '@nestjs/core';
import { Clock } from '../common/clock.js';
import type { AppConfig } from '../config/app-config.js';
import { TemplatesModule } from '../templates/templates.module.js';
import { WECHAT_ENDPOINT } from '../wechat/wechat.constants.js';
import type { WechatEndpoint } from '../wechat/wechat-endpoint.js';
import { WechatModule } from '../wechat/wechat.module.js';
import { PUSH_VERIFIER } from './push.constants.js';
import { PushController } from './push.controller.js';
import { PushEventsHandler } from './push-events.handler.js';
import { PushReplayStore } from './push-replay.store.js';
import { PushService } from './push.service.js';
import { PushVerifier, type PushSettings } from './push.verifier.js';
import { SubscriptionsModule } from './subscriptions.module.js';

/**
 * The Token and EncodingAESKey of the console, or in sandbox mode (no WECHAT_APP_ID) ones made up
 * for the built-in fake, so the consent → send → delivery loop works on a fresh machine.
 */
function resolveSettings(push: AppConfig['push'], endpoint: WechatEndpoint): PushSettings | null {
  if (push.token) return { token: push.token, aesKey: push.aesKey, appId: endpoint.appId };
  if (!endpoint.sandbox) return null;
  return { token: randomBytes(12).toString('hex'), aesKey: randomBytes(32).toString('base64').slice(0, 43), appId: endpoint.appId };
}

@Module({
  imports: [WechatModule, TemplatesModule, SubscriptionsModule],
  controllers: [PushController],
  providers: [
    {
      provide: PUSH_VERIFIER,
      inject: [ConfigService, WECHAT_ENDPOINT, Clock],
      useFactory: (config: ConfigService<AppConfig, true>, endpoint: WechatEndpoint, clock: Clock) => {
        const settings = resolveSettings(config.get('push', { infer: true }), endpoint);
        return settings ? new PushVerifier(settings, clock) : null;
      },
    },
    PushService,
    PushEventsHandler,
    PushReplayStore,
  ],
})
export class PushModule implements OnApplicationBootstrap {
  constructor(
    @Inject(WECHAT_ENDPOINT) private readonly endpoint: WechatEndpoint,
    @Inject(PUSH_VERIFIER) private readonly verifier: PushVerifier | null,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  /** Sandbox mode: the fake pushes to our own callback (the port is known only once listening). */
  onApplicationBootstrap(): void {
    const sandbox = this.endpoint.sandbox;
    if (!sandbox || !this.verifier) return;
    const server = this.adapterHost.httpAdapter.getHttpServer() as Server;
    const { token, aesKey } = this.verifier.settings;
    sandbox.setPushTarget({
      url: () => {
        const address = server.address();
        return address && typeof address === 'object' ? `http://127.0.0.1:${address.port}/wechat/push` : null;
      },
      token,
      aesKey,
      mode: aesKey ? 'safe' : 'plaintext',
      format: 'json',
    });
    new Logger('WechatSandbox').warn(
      'SANDBOX MODE: the fake WeChat pushes to /wechat/push. Try the loop: POST /sandbox/subscribe {"templateId"} as a user ' +
        `(or POST ${sandbox.baseUrl}/sandbox/subscribe {"openid","templateId"}) is the popup accept, then POST /templates/send; ` +
        'the delivery shows on GET /templates/messages.',
    );
  }
}
