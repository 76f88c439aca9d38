import { Injectable, Logger } from '@nestjs/common';
import { type SubscriptionChange, SubscriptionsRepository } from './subscriptions.repository.js';

/** How a subscribe send ended, as far as credits are concerned. */
export type SendOutcome = 'sent' | 'not_subscribed';

export interface SubscriptionView {
  templateId: string;
  status: string;
  remaining: number;
  updatedAt: string;
}

/**
 * One-time subscriptions: each `accept` allows one message (wechat-api.md §4, §8). Pushes add and
 * clear credits; sends use them.
 */
@Injectable()
export class SubscriptionsService {
  private readonly logger = new Logger(SubscriptionsService.name);

  constructor(private readonly subscriptions: SubscriptionsRepository) {}

  /** Applies a push's changes for one user atomically; throws (→ non-200, WeChat retries) when the database fails. */
  apply(openid: string, changes: SubscriptionChange[]): Promise<void> {
    return this.subscriptions.apply(openid, changes, new Date());
  }

  /**
   * Credit accounting for a subscribe send, called wherever a send's result is mapped (single and
   * batch sends): a 200 uses one credit (never below 0), WeChat's 43101 means none are left. The
   * message has already gone or been refused, so a database failure here is logged, never thrown.
   */
  async recordSendOutcome(openid: string, templateId: string, outcome: SendOutcome): Promise<void> {
    try {
      if (outcome === 'sent') await this.subscriptions.useCredit(openid, templateId, new Date());
      else await this.subscriptions.clearCredits(openid, templateId, new Date());
    } catch (error) {
      this.logger.error({ err: error, openid, templateId, outcome }, 'Could not update subscription credits');
    }
  }

  /** recordSendOutcome for a batch's slice of one template: two statements, not one per recipient. */
  async recordSendOutcomes(templateId: string, outcomes: ReadonlyArray<{ openid: string; outcome: SendOutcome }>): Promise<void> {
    const of = (kind: SendOutcome) => outcomes.filter((o) => o.outcome === kind).map((o) => o.openid);
    try {
      const at = new Date();
      await this.subscriptions.useCredits(of('sent'), templateId, at);
      await this.subscriptions.clearCreditsOf(of('not_subscribed'), templateId, at);
    } catch (error) {
      this.logger.error({ err: error, templateId, count: outcomes.length }, 'Could not update subscription credits');
    }
  }

  async list(openid: string): Promise<{ items: SubscriptionView[] }> {
    const rows = await this.subscriptions.findByOpenid(openid);
    return {
      items: rows.map((row) => ({
        templateId: row.templateId,
        status: row.status,
        remaining: row.remaining,
        updatedAt: row.updatedAt.toISOString(),
      })),
    };
  }
}
