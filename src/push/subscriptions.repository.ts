import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { CoalescedWrites } from '../database/coalesced-writes.js';
import { isDatabaseUnavailable, withDatabase } from '../database/database-unavailable.js';
import { type DirectQuery, directQuery } from '../database/direct-query.js';
import type { Subscription, SubscriptionStatus } from './subscription.entity.js';

/** One change a push asks for: a status, and the credits as an increment or a reset to 0. */
export interface SubscriptionChange {
  templateId: string;
  status: SubscriptionStatus;
  credits: 'add_one' | 'keep' | 'reset';
}

export interface SubscriptionRow {
  templateId: string;
  status: SubscriptionStatus;
  remaining: number;
  updatedAt: Date;
}

const SELECT_BY_OPENID =
  'SELECT template_id AS templateId, status, remaining, updated_at AS updatedAt FROM `subscription` WHERE open_id = ? ORDER BY template_id';
const USE_CREDIT =
  'UPDATE `subscription` SET remaining = remaining - 1, updated_at = ? WHERE open_id = ? AND template_id = ? AND remaining > 0';
const CLEAR_CREDITS = 'UPDATE `subscription` SET remaining = 0, updated_at = ? WHERE open_id = ? AND template_id = ? AND remaining <> 0';

/** The statement with `open_id = ? AND template_id = ?` turned into `template_id = ? AND open_id IN (…)`; parameters: at, templateId, openids. */
function manyOpenids(sql: string, count: number): string {
  return sql.replace('open_id = ? AND template_id = ?', `template_id = ? AND open_id IN (${Array(count).fill('?').join(', ')})`);
}

const CREDITS_SQL: Record<SubscriptionChange['credits'], string> = {
  add_one: 'remaining + 1',
  keep: 'remaining',
  reset: '0',
};

interface CreditUse {
  openid: string;
  templateId: string;
  at: Date;
}

/** 'YYYY-MM-DD HH:MM:SS.SSS' UTC, as message_log stamps it, so both drivers store the same instant. */
function sqlTimestamp(date: Date): string {
  return date.toISOString().replace('T', ' ').replace('Z', '');
}

/** SQL on `subscription`. Upserts are atomic in the database, so concurrent pushes never lose a credit. */
@Injectable()
export class SubscriptionsRepository {
  private readonly mysql: boolean;
  private readonly query: DirectQuery;
  private readonly creditsUsed: CoalescedWrites<CreditUse>;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    this.mysql = dataSource.options.type === 'mysql';
    this.query = directQuery(dataSource);
    this.creditsUsed = new CoalescedWrites((uses) => this.useCreditsOf(uses), isDatabaseUnavailable);
  }

  /** All of one push's changes, or none of them (a failure leaves nothing half-applied for WeChat's retry). */
  async apply(openid: string, changes: SubscriptionChange[], at: Date): Promise<void> {
    if (changes.length === 0) return;
    // One item (the usual push) is one atomic statement: no transaction round trips, the row lock held shortest.
    if (changes.length === 1) {
      await withDatabase(() => this.upsert(this.dataSource.manager, openid, changes[0], at));
      return;
    }
    await withDatabase(() =>
      this.dataSource.transaction(async (manager) => {
        for (const change of changes) await this.upsert(manager, openid, change, at);
      }),
    );
  }

  /** Uses one credit of the user's subscription to the template, if any is left. Sends that finish together share statements. */
  useCredit(openid: string, templateId: string, at: Date): Promise<void> {
    return this.creditsUsed.add({ openid, templateId, at });
  }

  /**
   * One statement per template for credits used together (useCredits); a user sent the same template
   * twice among them loses two credits (one statement per repeat).
   */
  private async useCreditsOf(uses: CreditUse[]): Promise<void> {
    const rounds = new Map<string, string[][]>(); // templateId → openids per repeat
    const seen = new Map<string, number>(); // openid + templateId → uses so far
    let at = uses[0].at;
    for (const use of uses) {
      if (use.at > at) at = use.at;
      const pair = `${use.openid}\n${use.templateId}`;
      const repeat = seen.get(pair) ?? 0;
      seen.set(pair, repeat + 1);
      const ofTemplate = rounds.get(use.templateId) ?? [];
      rounds.set(use.templateId, ofTemplate);
      (ofTemplate[repeat] ??= []).push(use.openid);
    }
    for (const [templateId, ofTemplate] of rounds) {
      for (const openids of ofTemplate) await this.useCredits(openids, templateId, at);
    }
  }

  /** useCredit for many recipients of one template in one statement (a batch's slice). */
  async useCredits(openids: readonly string[], templateId: string, at: Date): Promise<void> {
    if (openids.length === 0) return;
    await withDatabase(() => this.query(manyOpenids(USE_CREDIT, openids.length), [sqlTimestamp(at), templateId, ...openids]));
  }

  /** clearCredits for many recipients of one template in one statement. */
  async clearCreditsOf(openids: readonly string[], templateId: string, at: Date): Promise<void> {
    if (openids.length === 0) return;
    await withDatabase(() => this.dataSource.query(manyOpenids(CLEAR_CREDITS, openids.length), [sqlTimestamp(at), templateId, ...openids]));
  }

  async clearCredits(openid: string, templateId: string, at: Date): Promise<void> {
    await withDatabase(() => this.query(CLEAR_CREDITS, [sqlTimestamp(at), openid, templateId]));
  }

  async findByOpenid(openid: string): Promise<SubscriptionRow[]> {
    const rows: Array<Pick<Subscription, 'templateId' | 'status' | 'remaining'> & { updatedAt: Date | string }> = await withDatabase(() =>
      this.dataSource.query(SELECT_BY_OPENID, [openid]),
    );
    return rows.map((row) => ({
      templateId: row.templateId,
      status: row.status,
      remaining: Number(row.remaining),
      // SQLite hands back the stored text, MySQL a Date (timezone 'Z').
      updatedAt: row.updatedAt instanceof Date ? row.updatedAt : new Date(`${row.updatedAt.replace(' ', 'T')}Z`),
    }));
  }

  private async upsert(manager: EntityManager, openid: string, change: SubscriptionChange, at: Date): Promise<void> {
    const initial = change.credits === 'add_one' ? 1 : 0;
    const credits = CREDITS_SQL[change.credits];
    const sql = this.mysql
      ? 'INSERT INTO `subscription` (open_id, template_id, status, remaining, updated_at) VALUES (?, ?, ?, ?, ?) ' +
        `ON DUPLICATE KEY UPDATE status = VALUES(status), remaining = ${credits}, updated_at = VALUES(updated_at)`
      : 'INSERT INTO `subscription` (open_id, template_id, status, remaining, updated_at) VALUES (?, ?, ?, ?, ?) ' +
        `ON CONFLICT (open_id, template_id) DO UPDATE SET status = excluded.status, remaining = ${credits}, updated_at = excluded.updated_at`;
    await manager.query(sql, [openid, change.templateId, change.status, initial, sqlTimestamp(at)]);
  }
}
