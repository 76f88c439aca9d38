import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type FakeLimits, TEST_LIMITS } from './fake-wechat.bounds.js';
import { errorBody, Rejection } from './fake-wechat.errors.js';
import { FakeLoginCodes } from './fake-wechat.login.js';
import { FakeMessageDesk, type ReceivedMessage } from './fake-wechat.messages.js';
import type { PushItemInput, PushSigning } from './fake-wechat.push.js';
import { type FakePushEvent, type FakePushTarget, FakePushSender, type PushRecord } from './fake-wechat.push-sender.js';
import { jsonBody, readBody, type JsonObject } from './fake-wechat.request.js';
import { FakeTokenStore } from './fake-wechat.token-store.js';
import { type FakePhone, FakeUserData } from './fake-wechat.user-data.js';

export type { ReceivedMessage } from './fake-wechat.messages.js';
export type { FakePhone } from './fake-wechat.user-data.js';
export type { FakePushTarget, PushRecord } from './fake-wechat.push-sender.js';

export interface FakeWechatOptions {
  /** Default: 'wxfake' + 12 random hex chars. */
  appId?: string;
  /** Default: 32 random hex chars. */
  appSecret?: string;
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default 0 (a free port). */
  port?: number;
  /** Sandbox mode: a code never issued is accepted once; its openid is derived from the code. */
  acceptAnyCode?: boolean;
  /** Sandbox mode: any openid and template are accepted, with unlimited subscription credit. */
  openSubscriptions?: boolean;
  /** Default 7200. */
  tokenTtlSeconds?: number;
  /** How long a replaced token keeps working. Default 300. */
  overlapSeconds?: number;
  /** `/cgi-bin/token` calls per day before 45009. Default 2000. */
  classicDailyQuota?: number;
  /** How much it remembers (oldest forgotten first). Default TEST_LIMITS; the sandbox in the app uses SANDBOX_LIMITS. */
  limits?: FakeLimits;
  /** Clock in ms. Default Date.now. */
  now?: () => number;
  /** With a push target set, how long after an accepted subscribe send its sent event is pushed. Default 200. */
  sentEventDelayMs?: number;
}

/** The fake's endpoints by name, with the path each answers on. */
const PATHS = {
  jscode2session: '/sns/jscode2session',
  token: '/cgi-bin/token',
  stable_token: '/cgi-bin/stable_token',
  subscribe_send: '/cgi-bin/message/subscribe/send',
  template_send: '/cgi-bin/message/wxopen/template/send',
  getuserphonenumber: '/wxa/business/getuserphonenumber',
  checksession: '/wxa/checksession',
  // Not WeChat's: lets a developer press "accept" in the sandbox (see pushPopupEvent).
  sandbox_subscribe: '/sandbox/subscribe',
} as const;

export type FakeEndpoint = keyof typeof PATHS;

const ROUTES: ReadonlyMap<string, FakeEndpoint> = new Map(
  Object.entries(PATHS).map(([endpoint, path]) => [path, endpoint as FakeEndpoint]),
);
const POST_ONLY: ReadonlySet<FakeEndpoint> = new Set(['stable_token', 'subscribe_send', 'template_send', 'getuserphonenumber']);

const JSON_TYPE = 'application/json; encoding=utf-8';
// jscode2session sends JSON labelled text/plain (wechat-api.md §0); clients must parse it anyway.
const CODE2SESSION_TYPE = 'text/plain';

/**
 * A fake api.weixin.qq.com over plain HTTP, faithful to shared/wechat-api.md §0-6 and §10:
 * login codes, both access-token endpoints, subscribe and legacy template sends, phone numbers,
 * checksession and encrypted user data, plus fault injection.
 */
export class FakeWechatServer {
  readonly appId: string;
  readonly appSecret: string;
  /** The mini-program's original id (`gh_…`), the ToUserName of its pushes. */
  readonly originalId: string;
  /** Successfully accepted sends, in order. */
  readonly messages: ReceivedMessage[];
  /** The latest pushes the fake made and what the callback answered, oldest first. */
  readonly pushes: PushRecord[];

  private readonly server: Server;
  private readonly host: string;
  private readonly tokens: FakeTokenStore;
  private readonly logins: FakeLoginCodes;
  private readonly desk: FakeMessageDesk;
  private readonly userData: FakeUserData;

  private readonly callCounts = new Map<FakeEndpoint, number>();
  private readonly faults = new Map<FakeEndpoint, Array<{ errcode: number; remaining: number }>>();
  private readonly sockets = new Set<Socket>();
  private readonly delays = new Map<NodeJS.Timeout, () => void>();
  private latencyMs = 0;
  private down = false;
  private readonly pushSender: FakePushSender;
  private closing: Promise<void> | undefined;

  private constructor(options: FakeWechatOptions) {
    const now = options.now ?? Date.now;
    const limits = options.limits ?? TEST_LIMITS;
    this.appId = options.appId ?? `wxfake${randomBytes(6).toString('hex')}`;
    this.appSecret = options.appSecret ?? randomBytes(16).toString('hex');
    this.host = options.host ?? '127.0.0.1';
    this.tokens = new FakeTokenStore({
      ttlMs: (options.tokenTtlSeconds ?? 7200) * 1000,
      overlapMs: (options.overlapSeconds ?? 300) * 1000,
      classicDailyQuota: options.classicDailyQuota ?? 2000,
      maxTokens: limits.tokens,
      now,
    });
    this.originalId = `gh_${randomBytes(6).toString('hex')}`;
    this.pushSender = new FakePushSender({
      appId: this.appId,
      originalId: this.originalId,
      sentEventDelayMs: options.sentEventDelayMs ?? 200,
      delay: (ms) => this.delay(ms),
    });
    this.pushes = this.pushSender.pushes;
    this.desk = new FakeMessageDesk({
      now,
      openSubscriptions: options.openSubscriptions ?? false,
      limits,
      onSubscribeSent: (message) => this.pushSender.scheduleSentEvent(message),
    });
    this.logins = new FakeLoginCodes({
      now,
      acceptAnyCode: options.acceptAnyCode ?? false,
      limits,
      onUser: (openid) => this.desk.registerUser(openid),
    });
    this.messages = this.desk.messages;
    this.userData = new FakeUserData({
      now,
      appId: this.appId,
      sessionKey: (openid) => this.logins.sessionKey(openid),
      acceptAnyCode: options.acceptAnyCode ?? false,
    });

    this.server = createServer((req, res) => {
      this.handle(req, res).catch(() => req.socket.destroy());
    });
    this.server.on('connection', (socket) => {
      if (this.down || this.closing !== undefined) {
        socket.resetAndDestroy();
        return;
      }
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  static async start(options: FakeWechatOptions = {}): Promise<FakeWechatServer> {
    const fake = new FakeWechatServer(options);
    await new Promise<void>((resolve, reject) => {
      fake.server.once('error', reject);
      fake.server.listen(options.port ?? 0, fake.host, () => {
        fake.server.off('error', reject);
        resolve();
      });
    });
    return fake;
  }

  /** e.g. 'http://127.0.0.1:53211' */
  get baseUrl(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://${this.host.includes(':') ? `[${this.host}]` : this.host}:${port}`;
  }

  /** A fresh single-use `wx.login()` code for `openid` (valid 300 s); rotates the user's session_key. */
  issueLoginCode(openid: string, opts: { unionid?: string } = {}): string {
    return this.logins.issue(openid, opts.unionid);
  }

  /** The session_key the user's latest code hands out. */
  sessionKey(openid: string): string | undefined {
    return this.logins.sessionKey(openid);
  }

  /**
   * A single-use phone code (valid 300 s) as `<button open-type="getPhoneNumber">` gives the client;
   * bound to `openid`: `getuserphonenumber` naming another openid gets 40029.
   */
  issuePhoneCode(openid: string, phone?: FakePhone, overrides?: { appId?: string }): string {
    return this.userData.issuePhoneCode(openid, phone, overrides);
  }

  /**
   * `{encryptedData, iv}` as a wx API (getWeRunData, getShareInfo, …) gives the client: `payload` plus a
   * watermark, encrypted with the user's current session_key. `appId`/`sessionKey` override for negative tests.
   */
  encryptUserData(
    openid: string,
    payload: Record<string, unknown>,
    overrides?: { appId?: string; sessionKey?: string },
  ): { encryptedData: string; iv: string } {
    return this.userData.encrypt(openid, payload, overrides);
  }

  /** The legacy `getPhoneNumber` `{encryptedData, iv}` for `openid`. */
  encryptPhoneNumber(
    openid: string,
    phone?: FakePhone,
    overrides?: { appId?: string; sessionKey?: string },
  ): { encryptedData: string; iv: string } {
    return this.userData.encryptPhone(openid, phone, overrides);
  }

  registerUser(openid: string): void {
    this.desk.registerUser(openid);
  }

  /** `keywords` are the allowed data keys; undefined allows any key. */
  addTemplate(templateId: string, keywords?: string[]): void {
    this.desk.addTemplate(templateId, keywords);
  }

  /** The user accepted `count` times: that many sends of `templateId` to `openid` will be accepted. */
  acceptSubscription(openid: string, templateId: string, count = 1): void {
    this.desk.acceptSubscription(openid, templateId, count);
  }

  /** A legacy template-message form_id: single use, valid 7 days, bound to `openid`. */
  issueFormId(openid: string): string {
    return this.desk.issueFormId(openid);
  }

  /** null (the default) accepts any page; otherwise the path before '?' must be listed, else 41030. */
  allowPages(pages: string[] | null): void {
    this.desk.allowPages(pages);
  }

  /** Requests received by `endpoint`, failed ones included. */
  calls(endpoint: FakeEndpoint): number {
    return this.callCounts.get(endpoint) ?? 0;
  }

  resetCalls(): void {
    this.callCounts.clear();
  }

  /** Access tokens (classic and stable) that would be accepted right now. */
  currentTokens(): string[] {
    return this.tokens.valid();
  }

  /** Every outstanding token answers 40001 from now on. */
  invalidateTokens(): void {
    this.tokens.invalidateAll();
  }

  /** Every outstanding token answers 42001 from now on. */
  expireTokens(): void {
    this.tokens.expireAll();
  }

  /** Delays every response by `ms`. */
  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  /** The next `times` calls of `endpoint` answer `{errcode, errmsg}` whatever they ask. */
  failNext(endpoint: FakeEndpoint, errcode: number, times = 1): void {
    if (times < 1) return;
    const queue = this.faults.get(endpoint) ?? [];
    queue.push({ errcode, remaining: times });
    this.faults.set(endpoint, queue);
  }

  /**
   * Until bringUp(), new connections are reset as soon as they open and requests on kept-alive ones (also
   * those waiting out the latency) are reset instead of answered: clients see ECONNRESET / socket hang up.
   * Idle kept-alive sockets are left alone so that, once up again, a client never picks a stale one.
   */
  takeDown(): void {
    this.down = true;
  }

  bringUp(): void {
    this.down = false;
  }

  /**
   * Where the fake pushes events (null: nowhere). With a target, every accepted subscribe send is
   * followed by its subscribe_msg_sent_event, as WeChat reports delivery.
   */
  setPushTarget(target: FakePushTarget | null): void {
    this.pushSender.setTarget(target);
  }

  /** The ErrorCode/ErrorStatus of the sent events pushed from now on (default 0 / success). */
  setDeliveryResult(errorCode: number, errorStatus = errorCode === 0 ? 'success' : 'failed'): void {
    this.pushSender.setDeliveryResult(errorCode, errorStatus);
  }

  /** Pushes an event to the push target, signed as configured, again on failure; resolves with the callback's last answer. */
  push(event: FakePushEvent, overrides: Partial<PushSigning> = {}): Promise<PushRecord> {
    return this.pushSender.push(event, overrides);
  }

  /** The user answered the subscribe popup: pushes subscribe_msg_popup_event (and, on accept, gives WeChat-side credit). */
  pushPopupEvent(openid: string, templateIds: string | string[], status: 'accept' | 'reject' = 'accept'): Promise<PushRecord> {
    const ids = Array.isArray(templateIds) ? templateIds : [templateIds];
    if (status === 'accept') for (const id of ids) this.desk.acceptSubscription(openid, id, 1);
    return this.push({
      FromUserName: openid,
      Event: 'subscribe_msg_popup_event',
      List: ids.map((id): PushItemInput => ({ TemplateId: id, SubscribeStatusString: status, PopupScene: '0' })),
    });
  }

  /** `POST /sandbox/subscribe {"openid","templateId","status"?}`: the popup answer, pushed to the callback. */
  private async sandboxSubscribe(req: IncomingMessage, raw: string | null): Promise<string> {
    if (req.method !== 'POST') throw new Rejection(43002);
    const body = jsonBody(req, raw);
    const { openid, templateId, status = 'accept' } = body;
    if (
      typeof openid !== 'string' ||
      !openid ||
      typeof templateId !== 'string' ||
      !templateId ||
      (status !== 'accept' && status !== 'reject')
    ) {
      throw new Rejection(47001, 'data format error: openid, templateId and status (accept|reject) expected');
    }
    if (!this.pushSender.hasTarget) throw new Rejection(40001, 'the app has no message-push callback configured');
    const answer = await this.pushPopupEvent(openid, templateId, status);
    return JSON.stringify({ errcode: 0, errmsg: 'ok', callback: { status: answer.status, body: answer.body } });
  }

  /** Stops listening and drops open (kept-alive or delayed) connections; never waits on clients. */
  close(): Promise<void> {
    this.pushSender.close();
    this.closing ??= new Promise<void>((resolve) => {
      for (const [timer, release] of this.delays) {
        clearTimeout(timer);
        release();
      }
      this.delays.clear();
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
    return this.closing;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.down) {
      req.socket.resetAndDestroy();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://api.weixin.qq.com');
    const endpoint = ROUTES.get(url.pathname);
    if (endpoint !== undefined) this.callCounts.set(endpoint, this.calls(endpoint) + 1);
    const raw = await readBody(req);
    await this.delay(this.latencyMs);
    if (this.closing !== undefined || req.socket.destroyed) return;
    if (this.down) {
      req.socket.resetAndDestroy();
      return;
    }

    if (endpoint === undefined) {
      write(res, 404, errorBody(404, 'not found'), JSON_TYPE);
      return;
    }
    let body: string;
    try {
      body = endpoint === 'sandbox_subscribe' ? await this.sandboxSubscribe(req, raw) : this.answer(endpoint, req, url.searchParams, raw);
    } catch (error) {
      if (!(error instanceof Rejection)) throw error;
      body = errorBody(error.errcode, error.text);
    }
    write(res, 200, body, endpoint === 'jscode2session' ? CODE2SESSION_TYPE : JSON_TYPE);
  }

  /** The success body, or throws the Rejection to answer. Send checks start with the token. */
  private answer(endpoint: FakeEndpoint, req: IncomingMessage, query: URLSearchParams, raw: string | null): string {
    const fault = this.takeFault(endpoint);
    if (fault !== undefined) throw new Rejection(fault);
    if (POST_ONLY.has(endpoint) && req.method !== 'POST') throw new Rejection(43002);
    switch (endpoint) {
      case 'jscode2session':
        return this.code2Session(query);
      case 'token':
        return this.classicToken(query);
      case 'stable_token':
        return this.stableToken(jsonBody(req, raw));
      case 'subscribe_send': {
        const accessToken = this.requireToken(query);
        return this.desk.subscribeSend(jsonBody(req, raw), accessToken);
      }
      case 'template_send': {
        const accessToken = this.requireToken(query);
        return this.desk.templateSend(jsonBody(req, raw), accessToken);
      }
      case 'getuserphonenumber':
        this.requireToken(query);
        return this.userData.phoneNumber(jsonBody(req, raw));
      case 'checksession':
        this.requireToken(query);
        return this.userData.checkSession(query);
      case 'sandbox_subscribe':
        throw new Rejection(43002);
    }
  }

  private code2Session(query: URLSearchParams): string {
    this.checkCredentials(query.get('appid'), query.get('secret'), 40125);
    const code = query.get('js_code');
    if (code === null || code === '') throw new Rejection(41008);
    if (query.get('grant_type') !== 'authorization_code') throw new Rejection(40002);
    return this.logins.exchange(code);
  }

  private classicToken(query: URLSearchParams): string {
    // On /cgi-bin/token a wrong secret is 40001, not 40125 (wechat-api.md §2).
    this.checkCredentials(query.get('appid'), query.get('secret'), 40001);
    if (query.get('grant_type') !== 'client_credential') throw new Rejection(40002);
    const issued = this.tokens.issueClassic();
    if (issued === 45009) {
      throw new Rejection(45009, 'reach max api daily quota limit, could get access_token by getStableAccessToken');
    }
    return JSON.stringify({ access_token: issued.accessToken, expires_in: issued.expiresIn });
  }

  private stableToken(body: JsonObject): string {
    this.checkCredentials(body['appid'], body['secret'], 40125);
    if (body['grant_type'] !== 'client_credential') throw new Rejection(40002);
    const issued = this.tokens.issueStable(body['force_refresh'] === true);
    return JSON.stringify({ access_token: issued.accessToken, expires_in: issued.expiresIn });
  }

  private checkCredentials(appid: unknown, secret: unknown, wrongSecret: number): void {
    if (typeof appid !== 'string' || appid === '') throw new Rejection(41002);
    if (appid !== this.appId) throw new Rejection(40013);
    if (typeof secret !== 'string' || secret === '') throw new Rejection(41004);
    if (secret !== this.appSecret) throw new Rejection(wrongSecret);
  }

  private requireToken(query: URLSearchParams): string {
    const token = query.get('access_token');
    const verdict = this.tokens.check(token);
    if (verdict !== 0) throw new Rejection(verdict);
    return token ?? '';
  }

  private takeFault(endpoint: FakeEndpoint): number | undefined {
    const queue = this.faults.get(endpoint);
    const next = queue?.[0];
    if (queue === undefined || next === undefined) return undefined;
    next.remaining -= 1;
    if (next.remaining === 0) queue.shift();
    return next.errcode;
  }

  private delay(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.delays.delete(timer);
        resolve();
      }, ms);
      this.delays.set(timer, resolve);
    });
  }
}

function write(res: ServerResponse, status: number, body: string, contentType: string): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
