import { createHmac } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig, TokenMode } from '../config/app-config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { WECHAT_ENDPOINT } from './wechat.constants.js';
import { WechatHttp, WechatHttpError, type WechatHttpRequest } from './wechat-http.js';
import { type Msgid, parseWechatJson, toMsgid, type WechatBody } from './wechat-json.js';
import type { WechatEndpoint } from './wechat-endpoint.js';
import { WechatApiError, type WechatEndpointName, WechatTransportError } from './wechat.errors.js';

export type { Msgid } from './wechat-json.js';

export interface Code2SessionResult {
  openid: string;
  sessionKey: string;
  unionid: string | null;
}

export interface AccessTokenResult {
  accessToken: string;
  expiresIn: number;
}

export type KeywordData = Record<string, { value: string }>;

export interface SubscribeMessage {
  touser: string;
  templateId: string;
  page?: string;
  data: KeywordData;
  miniprogramState?: 'developer' | 'trial' | 'formal';
  lang?: string;
}

export interface TemplateMessage {
  touser: string;
  templateId: string;
  page?: string;
  formId: string;
  data: KeywordData;
}

/** `phone_info` of getuserphonenumber; `countryCode` normalised to its digits as a string. */
export interface PhoneInfo {
  phoneNumber: string;
  purePhoneNumber: string;
  countryCode: string;
  /** `watermark.appid`, when WeChat sent one. */
  watermarkAppId: string | null;
}

/**
 * The only class that speaks HTTP to WeChat. Non-zero errcodes become WechatApiError, transport
 * failures WechatTransportError. Never logs the secret, a session_key, an access token or a phone
 * number: they sit in URLs and bodies, so only endpoint names and errcodes are logged.
 */
@Injectable()
export class WechatClient {
  private readonly logger = new Logger(WechatClient.name);
  private readonly timeoutMs: number;
  private readonly tokenMode: TokenMode;
  private readonly http: WechatHttp;

  constructor(
    @Inject(WECHAT_ENDPOINT) private readonly endpoint: WechatEndpoint,
    private readonly metrics: MetricsService,
    config: ConfigService<AppConfig, true>,
  ) {
    const wechat = config.get('wechat', { infer: true });
    this.timeoutMs = wechat.timeoutMs;
    this.tokenMode = wechat.tokenMode;
    this.http = new WechatHttp(endpoint.baseUrl, wechat.timeoutMs);
  }

  /** Closes the pooled keep-alive sockets (at shutdown). */
  close(): void {
    this.http.destroy();
  }

  get appId(): string {
    return this.endpoint.appId;
  }

  /** auth.code2Session. Never retried: a code is single-use, a retry after WeChat consumed it fails with 40163. */
  async code2Session(code: string): Promise<Code2SessionResult> {
    const body = await this.call('jscode2session', {
      method: 'GET',
      url: '/sns/jscode2session',
      params: { appid: this.endpoint.appId, secret: this.endpoint.appSecret, js_code: code, grant_type: 'authorization_code' },
    });
    if (typeof body.openid !== 'string' || typeof body.session_key !== 'string') {
      throw new WechatTransportError('jscode2session', 'bad_response', 'no openid/session_key in the answer');
    }
    return { openid: body.openid, sessionKey: body.session_key, unionid: typeof body.unionid === 'string' ? body.unionid : null };
  }

  /** Fetches an access token (stable_token by default); retried once on -1 or a network error. */
  async fetchAccessToken(options: { forceRefresh?: boolean } = {}): Promise<AccessTokenResult> {
    try {
      return await this.fetchAccessTokenOnce(options);
    } catch (error) {
      const retryable =
        (error instanceof WechatApiError && error.errcode === -1) || (error instanceof WechatTransportError && error.kind === 'network');
      if (!retryable) throw error;
      this.logger.warn(`Access token fetch failed (${(error as Error).message}); retrying once`);
      return this.fetchAccessTokenOnce(options);
    }
  }

  async sendSubscribeMessage(accessToken: string, message: SubscribeMessage): Promise<Msgid> {
    const body = await this.call('subscribe_send', {
      method: 'POST',
      url: '/cgi-bin/message/subscribe/send',
      params: { access_token: accessToken },
      data: {
        touser: message.touser,
        template_id: message.templateId,
        page: message.page,
        data: message.data,
        miniprogram_state: message.miniprogramState,
        lang: message.lang,
      },
    });
    return toMsgid(body.msgid);
  }

  /** The retired form_id template message (wechat-api.md §5); WeChat answers 45103 for most apps today. */
  async sendTemplateMessage(accessToken: string, message: TemplateMessage): Promise<Msgid> {
    const body = await this.call('template_send', {
      method: 'POST',
      url: '/cgi-bin/message/wxopen/template/send',
      params: { access_token: accessToken },
      data: {
        touser: message.touser,
        template_id: message.templateId,
        page: message.page,
        form_id: message.formId,
        data: message.data,
      },
    });
    return toMsgid(body.msgid);
  }

  /**
   * getuserphonenumber (wechat-api.md §6a): the phone number behind a `getPhoneNumber` button code.
   * `openid` lets WeChat refuse (40029) a code another user obtained. Never retried: the code is single use.
   */
  async getUserPhoneNumber(accessToken: string, code: string, openid: string): Promise<PhoneInfo> {
    const body = await this.call('getuserphonenumber', {
      method: 'POST',
      url: '/wxa/business/getuserphonenumber',
      params: { access_token: accessToken },
      data: { code, openid },
    });
    const info = body.phone_info as Record<string, unknown> | undefined;
    const countryCode = typeof info?.countryCode === 'number' ? String(info.countryCode) : info?.countryCode;
    if (
      typeof info?.phoneNumber !== 'string' ||
      typeof info.purePhoneNumber !== 'string' ||
      !/^\+?[\d -]{1,31}$/.test(info.phoneNumber) ||
      !/^\d{1,32}$/.test(info.purePhoneNumber) ||
      typeof countryCode !== 'string' ||
      !/^\d{1,8}$/.test(countryCode)
    ) {
      throw new WechatTransportError('getuserphonenumber', 'bad_response', 'no usable phone_info in the answer');
    }
    const watermark = info.watermark as { appid?: unknown } | undefined;
    return {
      phoneNumber: info.phoneNumber,
      purePhoneNumber: info.purePhoneNumber,
      countryCode,
      watermarkAppId: typeof watermark?.appid === 'string' ? watermark.appid : null,
    };
  }

  /**
   * checkSessionKey (wechat-api.md §6c): whether `sessionKey` is still the user's valid one. The
   * signature is hex HMAC-SHA256 keyed with the session_key's base64 text over the empty string
   * (https://developers.weixin.qq.com/miniprogram/dev/server/API/user-login/api_checksessionkey).
   * 87009 means it is not; any other error is thrown.
   */
  async checkSessionKey(accessToken: string, openid: string, sessionKey: string): Promise<boolean> {
    const signature = createHmac('sha256', Buffer.from(sessionKey, 'utf8')).update('').digest('hex');
    try {
      await this.call('checksession', {
        method: 'GET',
        url: '/wxa/checksession',
        params: { access_token: accessToken, openid, signature, sig_method: 'hmac_sha256' },
      });
      return true;
    } catch (error) {
      if (error instanceof WechatApiError && error.kind === 'invalid_signature') return false;
      throw error;
    }
  }

  private async fetchAccessTokenOnce(options: { forceRefresh?: boolean }): Promise<AccessTokenResult> {
    const { appId, appSecret } = this.endpoint;
    const body =
      this.tokenMode === 'stable'
        ? await this.call('stable_token', {
            method: 'POST',
            url: '/cgi-bin/stable_token',
            data: { grant_type: 'client_credential', appid: appId, secret: appSecret, force_refresh: options.forceRefresh ?? false },
          })
        : await this.call('token', {
            method: 'GET',
            url: '/cgi-bin/token',
            params: { grant_type: 'client_credential', appid: appId, secret: appSecret },
          });
    if (typeof body.access_token !== 'string' || typeof body.expires_in !== 'number') {
      throw new WechatTransportError(
        this.tokenMode === 'stable' ? 'stable_token' : 'token',
        'bad_response',
        'no access_token in the answer',
      );
    }
    return { accessToken: body.access_token, expiresIn: body.expires_in };
  }

  /** Every call to WeChat goes through here: counted by endpoint and errcode, and timed. */
  private async call(endpoint: WechatEndpointName, request: WechatHttpRequest): Promise<WechatBody> {
    const started = performance.now();
    try {
      const body = await this.callOnce(endpoint, request);
      this.metrics.observeWechatCall(endpoint, 0, (performance.now() - started) / 1000);
      return body;
    } catch (error) {
      this.metrics.observeWechatCall(endpoint, outcomeLabel(error), (performance.now() - started) / 1000);
      throw error;
    }
  }

  private async callOnce(endpoint: WechatEndpointName, request: WechatHttpRequest): Promise<WechatBody> {
    let text: string;
    try {
      const response = await this.http.request(request);
      if (response.status !== 200) {
        throw new WechatTransportError(endpoint, 'bad_response', `HTTP ${response.status}`);
      }
      // WeChat sends jscode2session as text/plain and msgid as an int64: the text is parsed here.
      text = response.text;
    } catch (error) {
      if (error instanceof WechatTransportError) throw this.logged(error);
      throw this.logged(toTransportError(endpoint, error));
    }
    const body = parseWechatJson(text);
    if (!body) throw this.logged(new WechatTransportError(endpoint, 'bad_response', 'answer is not JSON'));
    if (typeof body.errcode === 'number' && body.errcode !== 0) {
      throw this.logged(new WechatApiError(endpoint, body.errcode, String(body.errmsg ?? '')));
    }
    return body;
  }

  private logged<T extends Error>(error: T): T {
    this.logger.warn(error.message);
    return error;
  }
}

/** WeChat's errcode, or what went wrong when WeChat gave none (timeout, network, bad_response). */
function outcomeLabel(error: unknown): number | string {
  if (error instanceof WechatApiError) return error.errcode;
  return error instanceof WechatTransportError ? error.kind : 'network';
}

function toTransportError(endpoint: WechatEndpointName, error: unknown): WechatTransportError {
  const code = error instanceof WechatHttpError ? error.code : (error as { code?: string })?.code;
  const timedOut = code === 'ETIMEDOUT';
  return new WechatTransportError(endpoint, timedOut ? 'timeout' : 'network', code ?? 'request failed');
}
