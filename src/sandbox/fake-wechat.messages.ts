import { randomBytes } from 'node:crypto';
import { addBounded, type FakeLimits, pushBounded, setBounded } from './fake-wechat.bounds.js';
import { Rejection } from './fake-wechat.errors.js';
import { keywordValueAccepted } from './fake-wechat.keyword-rules.js';
import { isObject, type JsonObject } from './fake-wechat.request.js';

export interface ReceivedMessage {
  kind: 'subscribe' | 'legacy';
  touser: string;
  templateId: string;
  page?: string;
  data: Record<string, { value: string }>;
  formId?: string;
  miniprogramState?: string;
  lang?: string;
  /** int64 as decimal text: it does not fit a JS number. */
  msgid: string;
  accessToken: string;
  /** When it was accepted (the desk's clock, epoch ms). */
  at: number;
}

export interface MessageDeskOptions {
  now: () => number;
  /** Sandbox mode: any openid/template, unlimited credit, and any form_id once. */
  openSubscriptions: boolean;
  limits: FakeLimits;
  /** Called for every accepted subscribe message (the fake then reports its delivery). */
  onSubscribeSent?: (message: ReceivedMessage) => void;
}

interface FormId {
  openid: string;
  issuedAt: number;
  used: boolean;
}

type MessageData = Record<string, { value: string }>;

const FORM_ID_TTL_MS = 7 * 86_400_000;
const MINIPROGRAM_STATES: ReadonlySet<string> = new Set(['developer', 'trial', 'formal']);
const LANGS: ReadonlySet<string> = new Set(['zh_CN', 'en_US', 'zh_HK', 'zh_TW']);

/** Random int64 above 2^53, odd so that a JS number can never hold it exactly. */
function newMsgid(): string {
  return ((1n << 62n) | (randomBytes(8).readBigUInt64BE() >> 2n) | 1n).toString();
}

function creditKey(openid: string, templateId: string): string {
  return `${openid}\n${templateId}`;
}

function optionalChoice(body: JsonObject, field: string, choices: ReadonlySet<string>): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || !choices.has(value)) throw new Rejection(47003, `argument invalid! ${field} invalid`);
  return value;
}

/**
 * Recipients, templates, subscription credit and form_ids behind the two send endpoints
 * (wechat-api.md §4, §5). Checks run in a fixed order: touser, template, data, page, then credit or form_id.
 */
export class FakeMessageDesk {
  /** Successfully accepted sends, in order (the last this.options.limits.messages). */
  readonly messages: ReceivedMessage[] = [];

  private readonly users = new Set<string>();
  /** Template id → allowed data keys (null: any key). */
  private readonly templates = new Map<string, ReadonlySet<string> | null>();
  private readonly credits = new Map<string, number>();
  private readonly formIds = new Map<string, FormId>();
  private pages: ReadonlySet<string> | null = null;

  constructor(private readonly options: MessageDeskOptions) {}

  registerUser(openid: string): void {
    addBounded(this.users, openid, this.options.limits.records);
  }

  addTemplate(templateId: string, keywords?: string[]): void {
    this.templates.set(templateId, keywords === undefined ? null : new Set(keywords));
  }

  acceptSubscription(openid: string, templateId: string, count: number): void {
    this.registerUser(openid);
    if (!this.templates.has(templateId)) this.addTemplate(templateId);
    const key = creditKey(openid, templateId);
    setBounded(this.credits, key, (this.credits.get(key) ?? 0) + count, this.options.limits.records);
  }

  issueFormId(openid: string): string {
    this.registerUser(openid);
    const formId = randomBytes(16).toString('hex');
    setBounded(this.formIds, formId, { openid, issuedAt: this.options.now(), used: false }, this.options.limits.records);
    return formId;
  }

  allowPages(pages: string[] | null): void {
    this.pages = pages === null ? null : new Set(pages);
  }

  /** `/cgi-bin/message/subscribe/send`: the success body, else throws the Rejection. */
  subscribeSend(body: JsonObject, accessToken: string): string {
    const touser = this.requireUser(body['touser']);
    const templateId = this.requireTemplate(body['template_id']);
    const data = this.requireData(body['data'], templateId, true);
    const miniprogramState = optionalChoice(body, 'miniprogram_state', MINIPROGRAM_STATES);
    const lang = optionalChoice(body, 'lang', LANGS);
    const page = this.checkPage(body['page']);

    if (!this.options.openSubscriptions) {
      const key = creditKey(touser, templateId);
      const left = this.credits.get(key) ?? 0;
      if (left < 1) throw new Rejection(43101);
      this.credits.set(key, left - 1);
    }
    return this.accept({ kind: 'subscribe', touser, templateId, page, data, miniprogramState, lang, accessToken });
  }

  /** `/cgi-bin/message/wxopen/template/send` (retired legacy template message): no keyword-type rules. */
  templateSend(body: JsonObject, accessToken: string): string {
    const touser = this.requireUser(body['touser']);
    const templateId = this.requireTemplate(body['template_id']);
    const data = this.requireData(body['data'], templateId, false);
    const page = this.checkPage(body['page']);
    const formId = this.consumeFormId(body['form_id'], touser);
    return this.accept({ kind: 'legacy', touser, templateId, page, data, formId, accessToken });
  }

  private accept(message: Omit<ReceivedMessage, 'msgid' | 'at'>): string {
    const msgid = newMsgid();
    const received: ReceivedMessage = { ...message, msgid, at: this.options.now() };
    for (const key of ['page', 'formId', 'miniprogramState', 'lang'] as const) {
      if (received[key] === undefined) delete received[key];
    }
    pushBounded(this.messages, received, this.options.limits.messages);
    if (received.kind === 'subscribe') this.options.onSubscribeSent?.(received);
    // Written by hand: msgid is an int64 literal beyond 2^53 that JSON.stringify cannot produce.
    return `{"errcode":0,"errmsg":"ok","msgid":${msgid}}`;
  }

  private requireUser(touser: unknown): string {
    if (typeof touser !== 'string' || touser === '') throw new Rejection(40003);
    if (!this.options.openSubscriptions && !this.users.has(touser)) throw new Rejection(40003);
    return touser;
  }

  private requireTemplate(templateId: unknown): string {
    if (typeof templateId !== 'string' || templateId === '') throw new Rejection(40037);
    if (!this.options.openSubscriptions && !this.templates.has(templateId)) throw new Rejection(40037);
    return templateId;
  }

  /** `typed`: also apply the subscribe keyword-type value rules. */
  private requireData(raw: unknown, templateId: string, typed: boolean): MessageData {
    if (!isObject(raw)) throw new Rejection(47003, 'argument invalid! data invalid');
    const allowed = this.templates.get(templateId) ?? null;
    const data: MessageData = {};
    for (const [key, entry] of Object.entries(raw)) {
      const value = isObject(entry) ? entry['value'] : undefined;
      if (typeof value !== 'string' || (allowed !== null && !allowed.has(key)) || (typed && !keywordValueAccepted(key, value))) {
        throw new Rejection(47003, `argument invalid! data.${key}.value invalid`);
      }
      data[key] = { value };
    }
    return data;
  }

  private checkPage(page: unknown): string | undefined {
    if (page === undefined || page === null || page === '') return undefined;
    if (typeof page !== 'string') throw new Rejection(41030);
    if (this.pages !== null && !this.pages.has(page.split('?')[0])) throw new Rejection(41030);
    return page;
  }

  private consumeFormId(formId: unknown, touser: string): string {
    if (typeof formId !== 'string' || formId === '') throw new Rejection(41028);
    const now = this.options.now();
    let entry = this.formIds.get(formId);
    if (entry === undefined && this.options.openSubscriptions) {
      entry = { openid: touser, issuedAt: now, used: false };
      setBounded(this.formIds, formId, entry, this.options.limits.records);
    }
    if (entry === undefined || entry.openid !== touser) throw new Rejection(41028);
    if (entry.used) throw new Rejection(41029);
    if (now - entry.issuedAt > FORM_ID_TTL_MS) throw new Rejection(41028);
    entry.used = true;
    return formId;
  }
}
