import { type DynamicModule, Module } from '@nestjs/common';
import { WechatModule } from '../wechat/wechat.module.js';
import { SandboxController } from './sandbox.controller.js';

/**
 * Sandbox-only routes that let a developer try the phone-number, encrypted-data and subscribe-consent
 * flows against the built-in fake WeChat. AppModule imports this module (dynamically) only in sandbox mode.
 */
@Module({})
export class SandboxModule {
  static register(): DynamicModule {
    return { module: SandboxModule, imports: [WechatModule], controllers: [SandboxController] };
  }
}
