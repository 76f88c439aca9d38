import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { CoalescedWrites } from '../database/coalesced-writes.js';
import { isDatabaseUnavailable, withDatabase } from '../database/database-unavailable.js';
import { type DirectQuery, directQuery } from '../database/direct-query.js';
import { type MessageDelivery, MessageLog } from './message-log.entity.js';

const INSERT_COLUMNS =
  'INSERT INTO `message_log` (open_id, template_id, page, kind, status, errcode, errmsg, msgid, requested_by, batch_id, created_at) VALUES ';
const ROW = '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';

/** A row to insert; `batchId` is set for the sends of a batch. */
export type MessageLogEntry = Omit<MessageLog, 'id' | 'createdAt' | 'delivery' | 'deliveryErrcode' | 'batchId' | 'entryKey'> & {
  batchId?: string | null;
};

/** One multi-row INSERT for many entries: batch sends record a whole slice at once, in their own transaction. */
export function messageLogInsert(entries: MessageLogEntry[], createdAt: Date): [sql: string, params: unknown[]] {
  const stamp = toSqlTimestamp(createdAt);
  const params = entries.flatMap((entry) => [
    entry.openId,
    entry.templateId,
    entry.page,
    entry.kind,
    entry.status,
    entry.errcode,
    entry.errmsg,
    entry.msgid,
    entry.requestedBy,
    entry.batchId ?? null,
    stamp,
  ]);
  return [INSERT_COLUMNS + entries.map(() => ROW).join(', '), params];
}

const COLUMNS = 'open_id, template_id, page, kind, status, errcode, errmsg, msgid, requested_by, created_at, entry_key';
const ROW_ONCE = '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
/** Idempotent by entry_key: the same row written again (outbox, a timed-out insert that committed after all) is a no-op. */
const ON_DUPLICATE_ENTRY_KEY = {
  mysql: ' ON DUPLICATE KEY UPDATE entry_key = entry_key',
  sqlite: ' ON CONFLICT (entry_key) DO NOTHING',
};

/** One attempt's row as the send recorded it: `entryKey` a UUID, `createdAt` ISO 8601 (it may be written later, from the outbox). */
export type MessageLogRow = Omit<MessageLog, 'id' | 'createdAt' | 'delivery' | 'deliveryErrcode' | 'entryKey' | 'batchId'> & {
  entryKey: string;
  createdAt: string;
};

/** 'YYYY-MM-DD HH:MM:SS.SSS' in UTC: what TypeORM binds for a Date on both drivers, so since/until compare alike. */
export function toSqlTimestamp(date: Date): string {
  return date.toISOString().replace('T', ' ').replace('Z', '');
}

export interface MessageLogFilter {
  openid?: string;
  status?: MessageLog['status'];
  batchId?: string;
  since?: string;
  until?: string;
  /** Only rows with a smaller id (the previous page's last). */
  beforeId?: string;
}

/** The `message_log` table. */
@Injectable()
export class MessageLogRepository {
  private readonly dialect: 'mysql' | 'sqlite';
  private readonly query: DirectQuery;
  private readonly inserts: CoalescedWrites<MessageLogRow>;

  constructor(@InjectRepository(MessageLog) private readonly logs: Repository<MessageLog>) {
    this.dialect = logs.manager.connection.options.type === 'mysql' ? 'mysql' : 'sqlite';
    this.query = directQuery(logs.manager.connection);
    this.inserts = new CoalescedWrites((rows) => this.insertRows(rows), isDatabaseUnavailable);
  }

  /** Writes the row unless its entry_key is already there. Rows of sends that finish together share one statement. */
  insertOnce(row: MessageLogRow): Promise<void> {
    return this.inserts.add(row);
  }

  private async insertRows(rows: MessageLogRow[]): Promise<void> {
    // Fixed SQL on this hot path (every send); created_at is stamped by the app, not by the column
    // default: SQLite's datetime('now') has no milliseconds and compares wrongly against
    // since/until, and MySQL's default follows the session time zone.
    const sql = `INSERT INTO \`message_log\` (${COLUMNS}) VALUES ${rows.map(() => ROW_ONCE).join(', ')}${ON_DUPLICATE_ENTRY_KEY[this.dialect]}`;
    const parameters = rows.flatMap((row) => [
      row.openId,
      row.templateId,
      row.page,
      row.kind,
      row.status,
      row.errcode,
      row.errmsg,
      row.msgid,
      row.requestedBy,
      toSqlTimestamp(new Date(row.createdAt)),
      row.entryKey,
    ]);
    await withDatabase(() => this.query(sql, parameters));
  }

  /** WeChat's delivery report for the message it gave `msgid` (matched as text: every digit). Returns the rows matched. */
  async setDelivery(msgid: string, delivery: MessageDelivery, errcode: number | null): Promise<number> {
    const result = await withDatabase(() =>
      this.logs
        .createQueryBuilder()
        .update(MessageLog)
        .set({ delivery, deliveryErrcode: errcode })
        .where('msgid = :msgid', { msgid })
        .execute(),
    );
    return result.affected ?? 0;
  }

  /** Up to `limit` rows matching `filter`, newest (highest id) first. */
  findNewestFirst(filter: MessageLogFilter, limit: number): Promise<MessageLog[]> {
    return withDatabase(() => {
      const builder = this.logs.createQueryBuilder('log').orderBy('log.id', 'DESC').take(limit);
      if (filter.openid) builder.andWhere('log.openId = :openid', { openid: filter.openid });
      if (filter.batchId) builder.andWhere('log.batchId = :batchId', { batchId: filter.batchId });
      if (filter.status) builder.andWhere('log.status = :status', { status: filter.status });
      if (filter.since) builder.andWhere('log.createdAt >= :since', { since: new Date(filter.since) });
      if (filter.until) builder.andWhere('log.createdAt < :until', { until: new Date(filter.until) });
      if (filter.beforeId) builder.andWhere('log.id < :cursor', { cursor: filter.beforeId });
      return builder.getMany();
    });
  }
}
