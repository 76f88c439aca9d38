import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { withDatabase } from '../database/database-unavailable.js';
import type { ListMessagesQuery } from './dto/list-messages.query.js';
import { MessageLog } from './message-log.entity.js';

const INSERT_SQL =
  'INSERT INTO `message_log` (open_id, template_id, page, kind, status, errcode, errmsg, msgid, requested_by, created_at) ' +
  'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';

/** 'YYYY-MM-DD HH:MM:SS.SSS' in UTC: what TypeORM binds for a Date on both drivers, so since/until compare alike. */
function toSqlTimestamp(date: Date): string {
  return date.toISOString().replace('T', ' ').replace('Z', '');
}

export interface MessageLogItem {
  id: string;
  openid: string;
  templateId: string;
  page: string | null;
  kind: MessageLog['kind'];
  status: MessageLog['status'];
  errcode: number | null;
  errmsg: string | null;
  msgid: string | null;
  requestedBy: string;
  createdAt: string;
}

@Injectable()
export class MessageLogService {
  private readonly logger = new Logger(MessageLogService.name);

  constructor(@InjectRepository(MessageLog) private readonly logs: Repository<MessageLog>) {}

  /**
   * Records one attempt. The message has already gone to WeChat, so a failing insert must not turn
   * the request into an error the client would retry (and send twice): it is logged instead.
   */
  async record(entry: Omit<MessageLog, 'id' | 'createdAt'>): Promise<void> {
    try {
      await withDatabase(() =>
        // Fixed SQL on this hot path (every send); created_at is stamped here, not by the column
        // default: SQLite's datetime('now') has no milliseconds and compares wrongly against
        // since/until, and MySQL's default follows the session time zone.
        this.logs.query(INSERT_SQL, [
          entry.openId, entry.templateId, entry.page, entry.kind, entry.status, entry.errcode, entry.errmsg,
          entry.msgid, entry.requestedBy, toSqlTimestamp(new Date()),
        ]),
      );
    } catch (error) {
      this.logger.error({ err: error, openid: entry.openId, templateId: entry.templateId }, 'Could not write message_log');
    }
  }

  async list(query: ListMessagesQuery): Promise<{ items: MessageLogItem[]; nextCursor: string | null }> {
    const limit = query.limit ?? 20;
    const rows = await withDatabase(() => {
      const builder = this.logs.createQueryBuilder('log').orderBy('log.id', 'DESC').take(limit + 1);
      if (query.openid) builder.andWhere('log.openId = :openid', { openid: query.openid });
      if (query.status) builder.andWhere('log.status = :status', { status: query.status });
      if (query.since) builder.andWhere('log.createdAt >= :since', { since: new Date(query.since) });
      if (query.until) builder.andWhere('log.createdAt < :until', { until: new Date(query.until) });
      if (query.cursor) builder.andWhere('log.id < :cursor', { cursor: query.cursor });
      return builder.getMany();
    });
    const page = rows.slice(0, limit);
    return {
      items: page.map(toItem),
      nextCursor: rows.length > limit ? String(page[page.length - 1].id) : null,
    };
  }
}

function toItem(row: MessageLog): MessageLogItem {
  return {
    id: String(row.id),
    openid: row.openId,
    templateId: row.templateId,
    page: row.page,
    kind: row.kind,
    status: row.status,
    errcode: row.errcode,
    errmsg: row.errmsg,
    msgid: row.msgid,
    requestedBy: row.requestedBy,
    createdAt: new Date(row.createdAt).toISOString(),
  };
}
