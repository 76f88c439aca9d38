import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { KeyValueStore } from '../redis/key-value.store.js';
import { MessageLogRepository, type MessageLogRow } from './message-log.repository.js';

const OUTBOX_KEY = 'message-log:outbox';
const BATCH = 100;
/** Rows kept in process while neither the database nor the store takes them. */
const LOCAL_LIMIT = 10_000;

/**
 * message_log rows whose insert failed after WeChat had accepted (or refused) the message: kept in
 * a list in the shared store (Redis; process memory on embedded defaults) and written by a
 * background task once the database answers again, by any instance. The insert is idempotent
 * (entry_key), so a row drained twice, or whose timed-out insert committed after all, is one row.
 */
@Injectable()
export class MessageLogOutbox implements OnApplicationShutdown {
  private readonly logger = new Logger(MessageLogOutbox.name);
  private readonly local: MessageLogRow[] = [];
  private draining = false;
  private lastFailureLog = 0;

  constructor(
    private readonly store: KeyValueStore,
    private readonly repository: MessageLogRepository,
  ) {}

  async add(row: MessageLogRow): Promise<void> {
    try {
      await this.store.listPush(OUTBOX_KEY, JSON.stringify(row));
      this.logger.warn({ entryKey: row.entryKey }, 'message_log row queued until the database answers again');
    } catch (error) {
      this.keepLocally(row);
      this.logger.error(
        { err: error, entryKey: row.entryKey },
        'message_log row kept in process: neither the database nor the store answered',
      );
    }
  }

  @Interval('message-log-outbox', 1000)
  async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      await this.drainLocal();
      for (const raw of await this.store.listHead(OUTBOX_KEY, BATCH)) {
        await this.repository.insertOnce(JSON.parse(raw) as MessageLogRow);
        await this.store.listRemove(OUTBOX_KEY, raw);
      }
    } catch (error) {
      this.logFailure(error);
    } finally {
      this.draining = false;
    }
  }

  onApplicationShutdown(): void {
    if (this.local.length > 0) this.logger.error(`${this.local.length} message_log row(s) kept in process are lost with this shutdown`);
  }

  /** Rows the store could not take: into the store now, or straight into the database. */
  private async drainLocal(): Promise<void> {
    while (this.local.length > 0) {
      const row = this.local[0];
      try {
        await this.store.listPush(OUTBOX_KEY, JSON.stringify(row));
      } catch {
        await this.repository.insertOnce(row);
      }
      this.local.shift();
    }
  }

  private keepLocally(row: MessageLogRow): void {
    if (this.local.length >= LOCAL_LIMIT) {
      const dropped = this.local.shift();
      this.logger.error({ entryKey: dropped?.entryKey }, 'message_log row dropped: the in-process outbox is full');
    }
    this.local.push(row);
  }

  private logFailure(error: unknown): void {
    const now = Date.now();
    if (now - this.lastFailureLog < 10_000) return;
    this.lastFailureLog = now;
    this.logger.warn({ err: error }, 'message_log outbox not drained yet; retrying');
  }
}
