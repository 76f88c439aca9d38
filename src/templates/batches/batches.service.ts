import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { DomainError } from '../../common/errors/domain.error.js';
import { type Principal, principalLabel } from '../../common/principal.js';
import { StoreErrors } from '../../redis/store.errors.js';
import { IdempotencyStore } from '../idempotency.store.js';
import { BatchQueue } from './batch.queue.js';
import { type BatchChunk, CHUNK_SIZE } from './batch-sender.js';
import { BatchesErrors } from './batches.errors.js';
import { BatchesRepository, type BatchRow } from './batches.repository.js';
import type { BatchAcceptedDto, BatchDto, CreateBatchDto } from './dto/create-batch.dto.js';

// A creation writes up to 10,000 rows and queues the chunks: a retry with the same key while the
// first is still at it gets 409, for at most this long if the first request died.
const CREATE_IN_FLIGHT_MS = 60_000;

@Injectable()
export class BatchesService {
  private readonly logger = new Logger(BatchesService.name);

  constructor(
    private readonly batches: BatchesRepository,
    private readonly queue: BatchQueue,
    private readonly idempotency: IdempotencyStore,
  ) {}

  async create(principal: Principal, dto: CreateBatchDto, idempotencyKey?: string): Promise<BatchAcceptedDto> {
    if (!idempotencyKey) return this.createNow(principal, dto);
    const claim = await this.idempotency.claim(`${principalLabel(principal)}\nbatches`, idempotencyKey, dto, CREATE_IN_FLIGHT_MS);
    if (claim.kind === 'replay') return claim.outcome.body as unknown as BatchAcceptedDto;
    let accepted: BatchAcceptedDto;
    try {
      accepted = await this.createNow(principal, dto);
    } catch (error) {
      // Nothing was queued (createNow undoes its rows): the client's retry really creates it.
      await this.idempotency.release(claim).catch(() => undefined);
      throw error;
    }
    // Never throws: a store that cannot take the outcome now gets it later, the claim renewed meanwhile.
    await this.idempotency.complete(claim, { status: 202, body: { ...accepted } });
    return accepted;
  }

  async get(id: string): Promise<BatchDto> {
    const batch = await this.batches.find(id);
    if (!batch) throw BatchesErrors.BATCH_NOT_FOUND();
    return this.view(batch);
  }

  async cancel(id: string): Promise<BatchDto> {
    await this.batches.cancel(id, new Date());
    return this.get(id);
  }

  private async createNow(principal: Principal, dto: CreateBatchDto): Promise<BatchAcceptedDto> {
    const batch: BatchRow = {
      id: randomUUID(),
      templateId: dto.templateId,
      page: dto.page ?? null,
      data: dto.data,
      miniprogramState: dto.miniprogramState ?? null,
      lang: dto.lang ?? null,
      requestedBy: principalLabel(principal),
      total: dto.recipients.length,
      status: 'queued',
      createdAt: new Date(),
      finishedAt: null,
    };
    await this.batches.create(
      batch,
      dto.recipients.map((r) => ({ openId: r.openid, data: r.data && Object.keys(r.data).length > 0 ? JSON.stringify(r.data) : null })),
    );
    const chunks: BatchChunk[] = [];
    for (let from = 0; from < batch.total; from += CHUNK_SIZE)
      chunks.push({ batchId: batch.id, from, to: Math.min(from + CHUNK_SIZE, batch.total) });
    try {
      await this.queue.enqueue(chunks);
    } catch (error) {
      // A chunk that still reaches the queue later finds no batch and sends nothing.
      await this.batches
        .remove(batch.id)
        .catch((e: unknown) => this.logger.error({ err: e, batchId: batch.id }, 'Could not remove a batch that failed to queue'));
      throw error instanceof DomainError ? error : StoreErrors.STORE_UNAVAILABLE({ cause: error });
    }
    return { id: batch.id, status: 'queued', total: batch.total };
  }

  private async view(batch: BatchRow): Promise<BatchDto> {
    const counts = await this.batches.counts(batch.id);
    return {
      id: batch.id,
      status: batch.status,
      total: batch.total,
      sent: counts.sent,
      failed: counts.failed,
      unknown: counts.unknown,
      pending: counts.pending + counts.sending,
      createdAt: batch.createdAt.toISOString(),
      finishedAt: batch.finishedAt ? batch.finishedAt.toISOString() : null,
    };
  }
}
