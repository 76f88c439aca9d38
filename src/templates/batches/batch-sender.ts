import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../../config/app-config.js';
import { MetricsService } from '../../metrics/metrics.service.js';
import { type SendOutcome, SubscriptionsService } from '../../push/subscriptions.service.js';
import { AccessTokenService } from '../../wechat/access-token.service.js';
import { WechatClient } from '../../wechat/wechat.client.js';
import type { MessageLogEntry } from '../message-log.repository.js';
import { SEND_RATE_LIMITER } from './batches.constants.js';
import { type BatchDefinition, BatchesRepository, type PendingRecipient, type RecipientOutcome } from './batches.repository.js';
import { classifySendFailure } from './send-failure.js';
import type { Reservation, SendRateLimiter } from './send-rate.limiter.js';

/** A job of the queue: the recipients of one batch with seq in [from, to). */
export interface BatchChunk {
  batchId: string;
  from: number;
  to: number;
}

/** `retry`: some recipients failed in a way worth another attempt, after a backoff. `interrupted`: shutdown came first. */
export type ChunkResult = 'done' | 'retry' | 'interrupted';

export const CHUNK_SIZE = 200;
/** Recipients claimed and sent together; also the most a dying instance can leave `unknown` per running chunk. */
const SLICE_SIZE = 50;
const DEFINITIONS_KEPT = 64;
const RECORD_RETRY_MS = 30_000;
const NOT_SUBSCRIBED = 43101;

/**
 * Sends the recipients of one chunk, at most once each: a slice is claimed (pending → sending)
 * in the database before any of it goes to WeChat, and its outcomes and message_log rows are
 * written together afterwards. A chunk found with recipients still `sending` was being sent by a
 * worker that died: those end `unknown` and are never sent again.
 */
@Injectable()
export class BatchSender {
  private readonly logger = new Logger(BatchSender.name);
  private readonly maxAttempts: number;
  private readonly definitions = new Map<string, BatchDefinition>();
  private stopping = false;
  private running = 0;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly batches: BatchesRepository,
    private readonly client: WechatClient,
    private readonly accessTokens: AccessTokenService,
    @Inject(SEND_RATE_LIMITER) private readonly limiter: SendRateLimiter,
    private readonly subscriptions: SubscriptionsService,
    private readonly metrics: MetricsService,
    config: ConfigService<AppConfig, true>,
  ) {
    this.maxAttempts = config.get('batch', { infer: true }).maxAttempts;
  }

  /** Shutdown: no slice starts after this; resolves when the slices being sent are recorded. */
  async stop(): Promise<void> {
    this.stopping = true;
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Chunks this instance is sending right now. */
  get activeChunks(): number {
    return this.running;
  }

  /** `lastAttempt`: the queue will not run this chunk again, so a retryable failure is final. */
  async process(chunk: BatchChunk, lastAttempt: boolean): Promise<ChunkResult> {
    if (this.stopping) return 'interrupted';
    this.running += 1;
    try {
      return await this.processChunk(chunk, lastAttempt);
    } finally {
      this.running -= 1;
    }
  }

  private async processChunk(chunk: BatchChunk, lastAttempt: boolean): Promise<ChunkResult> {
    const batch = await this.definition(chunk.batchId);
    if (!batch) return 'done'; // removed: its creation failed to queue it
    await this.batches.markRunning(batch.id);
    await this.settleLost(batch, chunk);

    const pending = await this.batches.recipients(batch.id, chunk.from, chunk.to, 'pending');
    let retry = false;
    for (let i = 0; i < pending.length; i += SLICE_SIZE) {
      if (this.stopping) return 'interrupted';
      const slice = this.track(this.sendSlice(batch, pending.slice(i, i + SLICE_SIZE), lastAttempt));
      const result = await slice;
      if (result === 'canceled') break;
      retry ||= result === 'retry';
    }
    await this.batches.finishIfComplete(batch.id, new Date());
    return retry ? 'retry' : 'done';
  }

  /** The queue gave up on the chunk (attempts or stalls exhausted): nothing of it stays pending. */
  async abandon(chunk: BatchChunk, reason: string): Promise<void> {
    const batch = await this.definition(chunk.batchId);
    if (!batch) return;
    await this.settleLost(batch, chunk);
    const pending = await this.batches.recipients(batch.id, chunk.from, chunk.to, 'pending');
    const claimed = new Set(
      await this.batches.claim(
        batch.id,
        pending.map((r) => r.seq),
      ),
    );
    await this.batches.record(
      batch.id,
      pending.filter((r) => claimed.has(r.seq)).map((r) => this.final(batch, r, 'failed', r.attempts, { errcode: null, errmsg: reason })),
    );
    await this.batches.finishIfComplete(batch.id, new Date());
  }

  private async sendSlice(batch: BatchDefinition, slice: PendingRecipient[], lastAttempt: boolean): Promise<'sent' | 'retry' | 'canceled'> {
    const claimed = new Set(
      await this.batches.claim(
        batch.id,
        slice.map((r) => r.seq),
      ),
    );
    if (claimed.size === 0) return 'canceled';
    const sending = slice.filter((r) => claimed.has(r.seq));
    // Slots after the claim, so that the claim's own time never pushes a send past its slot.
    let reservation: Reservation;
    try {
      reservation = await this.limiter.reserve(sending.length);
    } catch (error) {
      await this.batches.release(
        batch.id,
        sending.map((r) => r.seq),
      );
      throw error;
    }
    const { startAt, intervalMs } = reservation;
    const outcomes = await Promise.all(
      sending.map(async (recipient, i): Promise<RecipientOutcome> => {
        const due = startAt + i * intervalMs - Date.now();
        if (due > 0) await sleep(due);
        return this.sendOne(batch, recipient, lastAttempt);
      }),
    );
    await this.recordSent(batch.id, outcomes);
    this.account(batch, sending, outcomes);
    return outcomes.some((o) => o.state === 'pending') ? 'retry' : 'sent';
  }

  /**
   * These messages went to WeChat: their outcome is worth waiting for the database a while
   * (RECORD_RETRY_MS). Given up, they stay `sending` and end `unknown`, never resent.
   */
  private async recordSent(batchId: string, outcomes: RecipientOutcome[]): Promise<void> {
    const deadline = Date.now() + RECORD_RETRY_MS;
    for (;;) {
      try {
        await this.batches.record(batchId, outcomes);
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        this.logger.warn(`Batch ${batchId}: could not record ${outcomes.length} outcome(s), retrying: ${(error as Error).message}`);
        await sleep(1000);
      }
    }
  }

  /** Credits (a 200 uses one, a 43101 clears them, as for single sends) and the metrics, for final outcomes. */
  private account(batch: BatchDefinition, sent: PendingRecipient[], outcomes: RecipientOutcome[]): void {
    const credits: Array<{ openid: string; outcome: SendOutcome }> = [];
    outcomes.forEach((outcome, i) => {
      if (!outcome.log) return;
      this.metrics.countTemplateMessage('subscribe', outcome.state);
      if (outcome.state === 'sent') credits.push({ openid: sent[i].openId, outcome: 'sent' });
      else if (outcome.log.errcode === NOT_SUBSCRIBED) credits.push({ openid: sent[i].openId, outcome: 'not_subscribed' });
    });
    void this.subscriptions.recordSendOutcomes(batch.templateId, credits);
  }

  private async sendOne(batch: BatchDefinition, recipient: PendingRecipient, lastAttempt: boolean): Promise<RecipientOutcome> {
    const attempts = recipient.attempts + 1;
    try {
      // The same path as a single send: the shared access token, healed once on 40001/42001.
      const msgid = await this.accessTokens.withToken((token) =>
        this.client.sendSubscribeMessage(token, {
          touser: recipient.openId,
          templateId: batch.templateId,
          page: batch.page ?? undefined,
          data: recipient.data ? { ...batch.data, ...recipient.data } : batch.data,
          miniprogramState: (batch.miniprogramState ?? undefined) as 'developer' | 'trial' | 'formal' | undefined,
          lang: batch.lang ?? undefined,
        }),
      );
      return this.final(batch, recipient, 'sent', attempts, { errcode: 0, errmsg: 'ok', msgid: msgid === null ? null : String(msgid) });
    } catch (error) {
      const failure = classifySendFailure(error);
      if (failure.retryable && !lastAttempt && attempts < this.maxAttempts) {
        return { seq: recipient.seq, state: 'pending', attempts, log: null };
      }
      return this.final(batch, recipient, 'failed', attempts, failure);
    }
  }

  /** Recipients a dead worker left `sending`: their send may have reached WeChat, so they end `unknown`. */
  private async settleLost(batch: BatchDefinition, chunk: BatchChunk): Promise<void> {
    const lost = await this.batches.recipients(batch.id, chunk.from, chunk.to, 'sending');
    if (lost.length === 0) return;
    this.logger.warn(`Batch ${batch.id}: ${lost.length} recipient(s) were in flight on a stopped worker; marked unknown, not resent`);
    await this.batches.record(
      batch.id,
      lost.map((r) =>
        this.final(batch, r, 'unknown', r.attempts, { errcode: null, errmsg: 'outcome unknown: the instance sending it stopped' }),
      ),
    );
  }

  private final(
    batch: BatchDefinition,
    recipient: PendingRecipient,
    state: 'sent' | 'failed' | 'unknown',
    attempts: number,
    result: { errcode: number | null; errmsg: string; msgid?: string | null },
  ): RecipientOutcome {
    const log: MessageLogEntry = {
      openId: recipient.openId,
      templateId: batch.templateId,
      page: batch.page,
      kind: 'subscribe',
      status: state,
      errcode: result.errcode,
      errmsg: result.errmsg,
      msgid: result.msgid ?? null,
      requestedBy: batch.requestedBy,
      batchId: batch.id,
    };
    return { seq: recipient.seq, state, attempts, log };
  }

  private async definition(id: string): Promise<BatchDefinition | null> {
    const known = this.definitions.get(id);
    if (known) return known;
    const row = await this.batches.find(id);
    if (!row) return null;
    const { total: _total, status: _status, createdAt: _createdAt, finishedAt: _finishedAt, ...definition } = row;
    if (this.definitions.size >= DEFINITIONS_KEPT) this.definitions.delete(this.definitions.keys().next().value as string);
    this.definitions.set(id, definition);
    return definition;
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work)).catch(() => undefined);
    return work;
  }
}
