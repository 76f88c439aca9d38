import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../config/app-config.js';
import { AccessTokenService } from './access-token.service.js';
import { WechatClient } from './wechat.client.js';
import { WECHAT_ENDPOINT } from './wechat.constants.js';
import { resolveWechatEndpoint, type WechatEndpoint } from './wechat-endpoint.js';

@Module({
  providers: [
    {
      provide: WECHAT_ENDPOINT,
      inject: [ConfigService],
      useFactory: (config: ConfigService<AppConfig, true>) => resolveWechatEndpoint(config.get('wechat', { infer: true })),
    },
    WechatClient,
    AccessTokenService,
  ],
  exports: [WechatClient, AccessTokenService, WECHAT_ENDPOINT],
})
export class WechatModule implements OnApplicationShutdown {
  constructor(
    @Inject(WECHAT_ENDPOINT) private readonly endpoint: WechatEndpoint,
    private readonly client: WechatClient,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    this.client.close();
    await this.endpoint.sandbox?.close();
  }
}
