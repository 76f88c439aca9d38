import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { MessageLogRepository } from '../templates/message-log.repository.js';
import { PushErrors } from './push.errors.js';
import { CHANGE_EVENT, POPUP_EVENT, type PushEvent, type PushItem, SENT_EVENT } from './push-event.js';
import type { SubscriptionChange } from './subscriptions.repository.js';
import { SubscriptionsService } from './subscriptions.service.js';

const SUBSCRIBE_EVENTS: ReadonlySet<string> = new Set([POPUP_EVENT, CHANGE_EVENT, SENT_EVENT]);
// A delivery report can overtake the message_log row of its send (the row is written once WeChat has
// answered the send; the report may be pushed at once). A fresh report waits for the row a little,
// well inside the callback's 1 s, and is acknowledged either way: it is a valid push.
const ROW_WAITS_MS = [100, 200, 300];
const FRESH_REPORT_SECONDS = 60;

/** What each subscribe-message event does to our records (contract "Message push callback (v2)"). */
@Injectable()
export class PushEventsHandler {
  private readonly logger = new Logger(PushEventsHandler.name);

  constructor(
    private readonly subscriptions: SubscriptionsService,
    private readonly messageLog: MessageLogRepository,
    private readonly clock: Clock,
  ) {}

  /** Events we act on; anything else is only acknowledged and logged. */
  handles(event: PushEvent): boolean {
    return event.msgType === 'event' && SUBSCRIBE_EVENTS.has(event.event);
  }

  /** Throws when a write fails (DATABASE_UNAVAILABLE): the push is answered non-200 and WeChat delivers it again. */
  async apply(event: PushEvent): Promise<void> {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(event.fromUserName))
      throw PushErrors.PUSH_BODY_INVALID({ params: { reason: 'FromUserName is not an openid' } });
    if (event.event === SENT_EVENT) {
      for (const item of event.items) await this.recordDelivery(event, item);
      return;
    }
    const changes = event.items.flatMap((item) => {
      const change = event.event === POPUP_EVENT ? popupChange(item) : settingsChange(item);
      if (!change) this.logger.warn({ event: event.event, templateId: item.templateId, status: item.status }, 'Push item ignored');
      return change ? [change] : [];
    });
    await this.subscriptions.apply(event.fromUserName, changes);
  }

  private async recordDelivery(event: PushEvent, item: PushItem): Promise<void> {
    const openid = event.fromUserName;
    if (!/^\d{1,20}$/.test(item.msgId)) {
      this.logger.warn({ openid, templateId: item.templateId }, 'Sent event without a MsgID ignored');
      return;
    }
    const delivery = item.errorCode === 0 ? 'delivered' : 'failed';
    let matched = await this.messageLog.setDelivery(item.msgId, delivery, item.errorCode);
    const fresh = Math.abs(this.clock.now() / 1000 - Number(event.createTime)) <= FRESH_REPORT_SECONDS;
    for (const waitMs of fresh ? ROW_WAITS_MS : []) {
      if (matched > 0) break;
      await this.clock.sleep(waitMs);
      matched = await this.messageLog.setDelivery(item.msgId, delivery, item.errorCode);
    }
    if (matched === 0) {
      // A message sent by something other than this service, or whose row is not written yet.
      this.logger.warn({ openid, msgid: item.msgId, errorCode: item.errorCode }, 'Sent event for a msgid with no message_log row');
    }
  }
}

function validTemplate(item: PushItem): boolean {
  return item.templateId.length > 0 && item.templateId.length <= 128;
}

/** The popup: accept adds one credit, reject changes only the status. */
function popupChange(item: PushItem): SubscriptionChange | null {
  if (!validTemplate(item)) return null;
  if (item.status === 'accept') return { templateId: item.templateId, status: 'accept', credits: 'add_one' };
  if (item.status === 'reject') return { templateId: item.templateId, status: 'reject', credits: 'keep' };
  return null;
}

/** The settings page: reject (the only answer WeChat pushes today) ends every credit left. */
function settingsChange(item: PushItem): SubscriptionChange | null {
  if (!validTemplate(item)) return null;
  if (item.status === 'reject') return { templateId: item.templateId, status: 'reject', credits: 'reset' };
  if (item.status === 'accept') return { templateId: item.templateId, status: 'accept', credits: 'keep' };
  return null;
}
