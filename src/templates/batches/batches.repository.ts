import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { withDatabase } from '../../database/database-unavailable.js';
import { type MessageLogEntry, messageLogInsert, toSqlTimestamp } from '../message-log.repository.js';
import type { BatchStatus } from './batch.entity.js';
import type { RecipientState } from './batch-recipient.entity.js';

/** What a worker needs to send a batch's messages. */
export interface BatchDefinition {
  id: string;
  templateId: string;
  page: string | null;
  data: Record<string, { value: string }>;
  miniprogramState: string | null;
  lang: string | null;
  requestedBy: string;
}

export interface BatchRow extends BatchDefinition {
  total: number;
  status: BatchStatus;
  createdAt: Date;
  finishedAt: Date | null;
}

export interface PendingRecipient {
  seq: number;
  openId: string;
  data: Record<string, { value: string }> | null;
  attempts: number;
}

/** A recipient's new state; `log` is its message_log entry when the state is final. */
export interface RecipientOutcome {
  seq: number;
  state: Extract<RecipientState, 'pending' | 'sent' | 'failed' | 'unknown'>;
  attempts: number;
  log: MessageLogEntry | null;
}

export type StateCounts = Record<RecipientState, number>;

// Rows per multi-row INSERT: 4 parameters each, well under SQLite's 32,766 and MySQL's 65,535.
const INSERT_ROWS = 1000;

/**
 * SQL of batch sending (fixed SQL, both dialects: every statement here runs on MySQL and SQLite).
 * Recipient rows are the at-most-once record: a send is claimed (pending → sending) before it
 * goes out, and its outcome and its message_log row are written in one transaction.
 */
@Injectable()
export class BatchesRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async create(batch: BatchRow, recipients: Array<{ openId: string; data: string | null }>): Promise<void> {
    await withDatabase(() =>
      this.db.transaction(async (manager) => {
        await manager.query(
          'INSERT INTO `batch` (id, template_id, page, data, miniprogram_state, lang, requested_by, total, status, created_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)',
          [
            batch.id,
            batch.templateId,
            batch.page,
            JSON.stringify(batch.data),
            batch.miniprogramState,
            batch.lang,
            batch.requestedBy,
            batch.total,
            batch.status,
            toSqlTimestamp(batch.createdAt),
          ],
        );
        for (let from = 0; from < recipients.length; from += INSERT_ROWS) {
          const rows = recipients.slice(from, from + INSERT_ROWS);
          await manager.query(
            `INSERT INTO \`batch_recipient\` (batch_id, seq, open_id, data, state, attempts) VALUES ${rows.map(() => "(?, ?, ?, ?, 'pending', 0)").join(', ')}`,
            rows.flatMap((row, i) => [batch.id, from + i, row.openId, row.data]),
          );
        }
      }),
    );
  }

  /** Undoes create() when the batch could not be queued: nothing half-written stays behind. */
  async remove(id: string): Promise<void> {
    await withDatabase(() =>
      this.db.transaction(async (manager) => {
        await manager.query('DELETE FROM `batch_recipient` WHERE batch_id = ?', [id]);
        await manager.query('DELETE FROM `batch` WHERE id = ?', [id]);
      }),
    );
  }

  async find(id: string): Promise<BatchRow | null> {
    const rows = await withDatabase(() =>
      this.db.query<Array<Record<string, unknown>>>(
        'SELECT id, template_id, page, data, miniprogram_state, lang, requested_by, total, status, created_at, finished_at FROM `batch` WHERE id = ?',
        [id],
      ),
    );
    const row = rows[0];
    if (!row) return null;
    return {
      id: String(row.id),
      templateId: String(row.template_id),
      page: (row.page as string | null) ?? null,
      data: JSON.parse(String(row.data)) as BatchDefinition['data'],
      miniprogramState: (row.miniprogram_state as string | null) ?? null,
      lang: (row.lang as string | null) ?? null,
      requestedBy: String(row.requested_by),
      total: Number(row.total),
      status: row.status as BatchStatus,
      createdAt: fromSqlTimestamp(row.created_at) as Date,
      finishedAt: fromSqlTimestamp(row.finished_at),
    };
  }

  async counts(id: string): Promise<StateCounts> {
    const rows = await withDatabase(() =>
      this.db.query<Array<{ state: RecipientState; n: number | string }>>(
        'SELECT state, COUNT(*) AS n FROM `batch_recipient` WHERE batch_id = ? GROUP BY state',
        [id],
      ),
    );
    const counts: StateCounts = { pending: 0, sending: 0, sent: 0, failed: 0, unknown: 0 };
    for (const row of rows) counts[row.state] = Number(row.n);
    return counts;
  }

  async markRunning(id: string): Promise<void> {
    await withDatabase(() => this.db.query("UPDATE `batch` SET status = 'running' WHERE id = ? AND status = 'queued'", [id]));
  }

  /** A batch already done or canceled stays as it is. */
  async cancel(id: string, at: Date): Promise<void> {
    await withDatabase(() =>
      this.db.query("UPDATE `batch` SET status = 'canceled', finished_at = ? WHERE id = ? AND status IN ('queued', 'running')", [
        toSqlTimestamp(at),
        id,
      ]),
    );
  }

  /** Marks the batch done once no recipient is pending or in flight. */
  async finishIfComplete(id: string, at: Date): Promise<void> {
    await withDatabase(() =>
      this.db.query(
        "UPDATE `batch` SET status = 'done', finished_at = ? WHERE id = ? AND status IN ('queued', 'running') " +
          "AND NOT EXISTS (SELECT 1 FROM `batch_recipient` WHERE batch_id = ? AND state IN ('pending', 'sending'))",
        [toSqlTimestamp(at), id, id],
      ),
    );
  }

  async recipients(id: string, from: number, to: number, state: RecipientState): Promise<PendingRecipient[]> {
    const rows = await withDatabase(() =>
      this.db.query<Array<{ seq: number | string; open_id: string; data: string | null; attempts: number | string }>>(
        'SELECT seq, open_id, data, attempts FROM `batch_recipient` WHERE batch_id = ? AND seq >= ? AND seq < ? AND state = ? ORDER BY seq',
        [id, from, to, state],
      ),
    );
    return rows.map((row) => ({
      seq: Number(row.seq),
      openId: row.open_id,
      data: row.data ? (JSON.parse(row.data) as PendingRecipient['data']) : null,
      attempts: Number(row.attempts),
    }));
  }

  /**
   * pending → sending, unless the batch is canceled. The subquery reads `batch` with a shared
   * lock on InnoDB (a read inside a write), so a cancel that has committed is seen by every claim
   * after it: no recipient is claimed once the cancel answered. Returns the claimed seqs.
   */
  async claim(id: string, seqs: number[]): Promise<number[]> {
    if (seqs.length === 0) return [];
    const claimed = await withDatabase(() =>
      this.exec(
        `UPDATE \`batch_recipient\` SET state = 'sending' WHERE batch_id = ? AND seq IN (${seqs.map(() => '?').join(', ')}) AND state = 'pending' ` +
          "AND EXISTS (SELECT 1 FROM `batch` WHERE id = ? AND status <> 'canceled')",
        [id, ...seqs, id],
      ),
    );
    if (claimed === seqs.length) return seqs;
    if (claimed === 0) return [];
    const rows = await withDatabase(() =>
      this.db.query<Array<{ seq: number | string }>>(
        `SELECT seq FROM \`batch_recipient\` WHERE batch_id = ? AND seq IN (${seqs.map(() => '?').join(', ')}) AND state = 'sending'`,
        [id, ...seqs],
      ),
    );
    return rows.map((row) => Number(row.seq));
  }

  /** Gives claimed recipients back (sending → pending) when their sends never started. */
  async release(id: string, seqs: number[]): Promise<void> {
    if (seqs.length === 0) return;
    await withDatabase(() =>
      this.db.query(
        `UPDATE \`batch_recipient\` SET state = 'pending' WHERE batch_id = ? AND seq IN (${seqs.map(() => '?').join(', ')}) AND state = 'sending'`,
        [id, ...seqs],
      ),
    );
  }

  /** Writes the outcomes of claimed recipients (state `sending`) and their message_log rows, atomically. */
  async record(id: string, outcomes: RecipientOutcome[], at = new Date()): Promise<void> {
    if (outcomes.length === 0) return;
    const seqs = outcomes.map((o) => o.seq);
    const logs = outcomes.flatMap((o) => (o.log ? [o.log] : []));
    await withDatabase(() =>
      this.db.transaction(async (manager: EntityManager) => {
        await manager.query(
          `UPDATE \`batch_recipient\` SET state = CASE seq ${outcomes.map(() => 'WHEN ? THEN ?').join(' ')} END, ` +
            `attempts = CASE seq ${outcomes.map(() => 'WHEN ? THEN ?').join(' ')} END ` +
            `WHERE batch_id = ? AND seq IN (${seqs.map(() => '?').join(', ')}) AND state = 'sending'`,
          [...outcomes.flatMap((o) => [o.seq, o.state]), ...outcomes.flatMap((o) => [o.seq, o.attempts]), id, ...seqs],
        );
        if (logs.length > 0) await manager.query(...messageLogInsert(logs, at));
      }),
    );
  }

  async activeBatches(): Promise<number> {
    const rows = await withDatabase(() =>
      this.db.query<Array<{ n: number | string }>>("SELECT COUNT(*) AS n FROM `batch` WHERE status IN ('queued', 'running')"),
    );
    return Number(rows[0]?.n ?? 0);
  }

  /** Runs a write and returns how many rows it changed (both drivers report it through a structured result). */
  private async exec(sql: string, params: unknown[]): Promise<number> {
    const runner = this.db.createQueryRunner();
    try {
      const result = await runner.query(sql, params, true);
      return Number(result.affected ?? 0);
    } finally {
      await runner.release();
    }
  }
}

/** MySQL gives a Date (timezone 'Z'); SQLite the 'YYYY-MM-DD HH:MM:SS.SSS' UTC text we wrote. */
function fromSqlTimestamp(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value;
  return new Date(`${(value as string).replace(' ', 'T')}Z`);
}
