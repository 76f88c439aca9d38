import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { DomainError } from '../common/errors/domain.error.js';
import { type Principal, principalLabel } from '../common/principal.js';
import type { AppConfig } from '../config/app-config.js';
import { isDatabaseUnavailable } from '../database/database-unavailable.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { UsersRepository } from '../users/users.repository.js';
import { SubscriptionsService } from '../push/subscriptions.service.js';
import { AccessTokenService } from '../wechat/access-token.service.js';
import { WechatClient, type Msgid } from '../wechat/wechat.client.js';
import { isWechatError, WechatApiError, type WechatError } from '../wechat/wechat.errors.js';
import { toDomainError, type WechatErrorMapping } from '../wechat/wechat-error.mapping.js';
import { UsersErrors } from '../users/users.errors.js';
import type { ListMessagesQuery } from './dto/list-messages.query.js';
import type { SendTemplateDto } from './dto/send-template.dto.js';
import { IdempotencyStore } from './idempotency.store.js';
import { MessageLogOutbox } from './message-log.outbox.js';
import { type MessageLogRow, MessageLogRepository } from './message-log.repository.js';
import { type MessageLogItem, toMessageLogItem } from './message-log.view.js';
import { TemplatesErrors } from './templates.errors.js';

const SEND_ERRORS: WechatErrorMapping = {
  not_subscribed: TemplatesErrors.WECHAT_NOT_SUBSCRIBED,
  invalid_argument: TemplatesErrors.WECHAT_INVALID_ARGUMENT,
};

/** WeChat: the user has no (remaining) subscription for the template. */
const NOT_SUBSCRIBED = 43101;

@Injectable()
export class TemplatesService {
  private readonly logger = new Logger(TemplatesService.name);
  private readonly leaseMs: number;

  constructor(
    private readonly client: WechatClient,
    private readonly accessTokens: AccessTokenService,
    private readonly users: UsersRepository,
    private readonly logs: MessageLogRepository,
    private readonly idempotency: IdempotencyStore,
    private readonly outbox: MessageLogOutbox,
    private readonly subscriptions: SubscriptionsService,
    private readonly metrics: MetricsService,
    config: ConfigService<AppConfig, true>,
  ) {
    // The claim is renewed every third of this while the request works; this only bounds how long
    // a crashed instance's claim blocks the key. Past the store's and the database's deadlines.
    this.leaseMs = config.get('wechat', { infer: true }).timeoutMs * 2 + 10_000;
  }

  async send(principal: Principal, dto: SendTemplateDto, idempotencyKey?: string): Promise<{ msgid: Msgid }> {
    const openid = await this.resolveRecipient(principal, dto);
    if (!idempotencyKey) return this.deliver(principal, openid, dto);

    const claim = await this.idempotency.claim(principalLabel(principal), idempotencyKey, dto, this.leaseMs);
    if (claim.kind === 'replay') {
      const { status, body } = claim.outcome;
      if (status === 200) return body as { msgid: Msgid };
      throw new DomainError(String(body.code), String(body.message), status, body);
    }
    let result: { msgid: Msgid };
    try {
      result = await this.deliver(principal, openid, dto);
    } catch (error) {
      // 5xx and 429 are worth retrying: not kept, so the client's retry really sends.
      if (error instanceof DomainError && error.status < 500 && error.status !== 429) {
        const body = { statusCode: error.status, code: error.code, message: error.message, ...error.details };
        await this.idempotency.complete(claim, { status: error.status, body });
      } else {
        await this.idempotency.release(claim).catch(() => undefined);
      }
      throw error;
    }
    await this.idempotency.complete(claim, { status: 200, body: result });
    return result;
  }

  async listMessages(query: ListMessagesQuery): Promise<{ items: MessageLogItem[]; nextCursor: string | null }> {
    const limit = query.limit ?? 20;
    // One row more than the page tells whether there is a next page.
    const rows = await this.logs.findNewestFirst({ ...query, beforeId: query.cursor }, limit + 1);
    const page = rows.slice(0, limit);
    return {
      items: page.map(toMessageLogItem),
      nextCursor: rows.length > limit ? String(page[page.length - 1].id) : null,
    };
  }

  private async resolveRecipient(principal: Principal, dto: SendTemplateDto): Promise<string> {
    if (dto.openid !== undefined && dto.userId !== undefined) {
      throw TemplatesErrors.AMBIGUOUS_RECIPIENT();
    }
    let openid = dto.openid;
    if (dto.userId !== undefined) {
      const user = await this.users.findById(dto.userId);
      if (!user) throw UsersErrors.USER_NOT_FOUND({ params: { id: dto.userId } });
      openid = user.openId;
    }
    if (principal.kind === 'user') {
      if (openid !== undefined && openid !== principal.openid) {
        throw TemplatesErrors.RECIPIENT_FORBIDDEN();
      }
      return principal.openid;
    }
    if (openid === undefined) throw TemplatesErrors.RECIPIENT_REQUIRED();
    return openid;
  }

  private async deliver(principal: Principal, openid: string, dto: SendTemplateDto): Promise<{ msgid: Msgid }> {
    const legacy = dto.formId !== undefined;
    const base = {
      openId: openid,
      templateId: dto.templateId,
      page: dto.page ?? null,
      kind: legacy ? 'legacy' : 'subscribe',
      requestedBy: principalLabel(principal),
    } as const;
    try {
      const msgid = await this.accessTokens.withToken((token) =>
        legacy
          ? this.client.sendTemplateMessage(token, {
              touser: openid,
              templateId: dto.templateId,
              page: dto.page,
              formId: dto.formId as string,
              data: dto.data,
            })
          : this.client.sendSubscribeMessage(token, {
              touser: openid,
              templateId: dto.templateId,
              page: dto.page,
              data: dto.data,
              miniprogramState: dto.miniprogramState,
              lang: dto.lang,
            }),
      );
      // Side by side (neither throws): with a stuck database each waits its own deadline, not the sum.
      await Promise.all([
        this.record({ ...base, status: 'sent', errcode: 0, errmsg: 'ok', msgid: msgid === null ? null : String(msgid) }),
        legacy ? undefined : this.subscriptions.recordSendOutcome(openid, dto.templateId, 'sent'),
      ]);
      return { msgid };
    } catch (error) {
      if (!isWechatError(error)) throw error;
      const notSubscribed = !legacy && error instanceof WechatApiError && error.errcode === NOT_SUBSCRIBED;
      await Promise.all([
        this.record({ ...base, status: 'failed', ...failureOf(error), msgid: null }),
        notSubscribed ? this.subscriptions.recordSendOutcome(openid, dto.templateId, 'not_subscribed') : undefined,
      ]);
      throw toDomainError(error, SEND_ERRORS);
    }
  }

  /**
   * Records one attempt. The message has already gone to WeChat, so a failing insert must not turn
   * the request into an error the client would retry (and send twice): with the database
   * unavailable the row goes to the outbox, written once the database answers again.
   */
  private async record(entry: Omit<MessageLogRow, 'entryKey' | 'createdAt'>): Promise<void> {
    this.metrics.countTemplateMessage(entry.kind, entry.status);
    const row = { ...entry, entryKey: randomUUID(), createdAt: new Date().toISOString() };
    try {
      await this.logs.insertOnce(row);
    } catch (error) {
      // DATABASE_UNAVAILABLE (down, or no answer within DB_QUERY_TIMEOUT_MS).
      if (isDatabaseUnavailable(error)) {
        await this.outbox.add(row);
        return;
      }
      this.logger.error({ err: error, openid: entry.openId, templateId: entry.templateId }, 'Could not write message_log');
    }
  }
}

function failureOf(error: WechatError): { errcode: number | null; errmsg: string } {
  return error instanceof WechatApiError
    ? { errcode: error.errcode, errmsg: error.errmsg.slice(0, 512) }
    : { errcode: null, errmsg: error.message.slice(0, 512) };
}
