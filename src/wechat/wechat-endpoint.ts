import { Logger } from '@nestjs/common';
import type { WechatConfig } from '../config/app-config.js';
// Type only: erased at runtime, so a live deployment still never loads the fake.
import type { FakeWechatServer } from '../sandbox/fake-wechat.server.js';

/** Where WeChat lives and who we are to it: the real API, or the built-in fake in sandbox mode. */
export interface WechatEndpoint {
  baseUrl: string;
  appId: string;
  appSecret: string;
  /** The built-in fake in sandbox mode (the sandbox module's routes use it); null with real WeChat. */
  sandbox: FakeWechatServer | null;
}

/** Without app credentials the app runs on the built-in fake WeChat. */
export function isSandbox(config: WechatConfig): boolean {
  return !(config.appId && config.appSecret);
}

export async function resolveWechatEndpoint(config: WechatConfig): Promise<WechatEndpoint> {
  if (config.mode === 'live' && config.appId && config.appSecret) {
    return { baseUrl: config.apiBaseUrl, appId: config.appId, appSecret: config.appSecret, sandbox: null };
  }
  // Loaded only in sandbox mode, so a live deployment never loads the fake.
  const { FakeWechatServer } = await import('../sandbox/fake-wechat.server.js');
  const { SANDBOX_LIMITS } = await import('../sandbox/fake-wechat.bounds.js');
  const fake = await FakeWechatServer.start({ acceptAnyCode: true, openSubscriptions: true, limits: SANDBOX_LIMITS });
  new Logger('WechatSandbox').warn(
    `SANDBOX MODE: WeChat is a built-in fake at ${fake.baseUrl} (embedded defaults or WECHAT_SANDBOX=true). ` +
      'Any login code is accepted and messages go nowhere. Set WECHAT_APP_ID and WECHAT_APP_SECRET for real WeChat.',
  );
  return { baseUrl: fake.baseUrl, appId: fake.appId, appSecret: fake.appSecret, sandbox: fake };
}
