import { createHash, randomUUID } from 'node:crypto';
import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { KeyValueStore } from '../redis/key-value.store.js';
import { TemplatesErrors } from './templates.errors.js';

const KEPT_MS = 24 * 3600_000;
/** A completion the store refused is tried again this often, for this long. */
const COMPLETE_RETRY_MS = 1000;
const COMPLETE_RETRY_FOR_MS = 10 * 60_000;

export interface StoredOutcome {
  status: number;
  body: Record<string, unknown>;
}

type IdempotencyRecord =
  { state: 'in_flight'; fingerprint: string; owner: string } | ({ state: 'done'; fingerprint: string } & StoredOutcome);

/** Renews a claim every third of its lease until stopped. */
export interface Renewal {
  stop(): void;
}

/** A key this request holds: its record as written, renewed while the request works. */
export interface HeldClaim {
  kind: 'claimed';
  key: string;
  record: string;
  fingerprint: string;
  renewal: Renewal;
}

export type Claim = HeldClaim | { kind: 'replay'; outcome: StoredOutcome };

/**
 * Idempotency-Key records, per principal, for 24 h. The first request claims the key with SET NX,
 * so two concurrent requests with one key can never both send. The claim is a lease renewed while
 * the request works, so it lasts exactly as long as the work (and frees soon after a crash);
 * completing and releasing touch the key only while it still holds this request's claim.
 */
@Injectable()
export class IdempotencyStore implements OnApplicationShutdown {
  private readonly logger = new Logger(IdempotencyStore.name);
  private readonly renewals = new Set<Renewal>();
  private closed = false;

  constructor(
    private readonly store: KeyValueStore,
    private readonly clock: Clock,
  ) {}

  /** `leaseMs`: how long the claim outlives a request that stopped renewing it (a crash). */
  async claim(scope: string, idempotencyKey: string, request: unknown, leaseMs: number): Promise<Claim> {
    const key = `idempotency:${sha256(`${scope}\n${idempotencyKey}`)}`;
    const fingerprint = sha256(stableStringify(request));
    const record = JSON.stringify({ state: 'in_flight', fingerprint, owner: randomUUID() } satisfies IdempotencyRecord);
    if (await this.store.setIfAbsent(key, record, leaseMs)) {
      return { kind: 'claimed', key, record, fingerprint, renewal: this.renewEvery(key, record, leaseMs) };
    }
    const raw = await this.store.get(key);
    if (!raw) return this.claim(scope, idempotencyKey, request, leaseMs);
    const existing = JSON.parse(raw) as IdempotencyRecord;
    if (existing.fingerprint !== fingerprint) {
      throw TemplatesErrors.IDEMPOTENCY_KEY_REUSED();
    }
    if (existing.state === 'in_flight') {
      throw TemplatesErrors.IDEMPOTENCY_KEY_IN_FLIGHT();
    }
    return { kind: 'replay', outcome: { status: existing.status, body: existing.body } };
  }

  /**
   * Keeps the outcome for 24 h. Never throws: the message has gone (or been refused). If the store
   * cannot take it now, the claim keeps being renewed and the outcome is written as soon as the
   * store answers, so a retry meanwhile gets 409, never a second send.
   */
  async complete(claim: HeldClaim, outcome: StoredOutcome): Promise<void> {
    const done = JSON.stringify({ state: 'done', fingerprint: claim.fingerprint, ...outcome } satisfies IdempotencyRecord);
    try {
      await this.writeDone(claim, done);
      this.stop(claim.renewal);
    } catch (error) {
      this.logger.warn({ err: error }, 'Could not record the Idempotency-Key outcome yet; retrying in the background');
      void this.retryComplete(claim, done);
    }
  }

  /** A first attempt that ended in a 5xx is not kept: the client's retry really sends. */
  async release(claim: HeldClaim): Promise<void> {
    this.stop(claim.renewal);
    await this.store.deleteIfEquals(claim.key, claim.record);
  }

  onApplicationShutdown(): void {
    this.closed = true;
    for (const renewal of this.renewals) renewal.stop();
    this.renewals.clear();
  }

  private async retryComplete(claim: HeldClaim, done: string): Promise<void> {
    const giveUpAt = this.clock.now() + COMPLETE_RETRY_FOR_MS;
    while (!this.closed) {
      await this.clock.sleep(COMPLETE_RETRY_MS);
      try {
        await this.writeDone(claim, done);
        break;
      } catch (error) {
        if (this.clock.now() < giveUpAt) continue;
        this.logger.error({ err: error }, 'Gave up recording an Idempotency-Key outcome');
        break;
      }
    }
    this.stop(claim.renewal);
  }

  /** Over our own claim; or, if the lease ran out meanwhile, over nothing (never over another request's claim). */
  private async writeDone(claim: HeldClaim, done: string): Promise<void> {
    if (await this.store.setIfHolding(claim.key, claim.record, claim.key, done, KEPT_MS)) return;
    if (await this.store.setIfAbsent(claim.key, done, KEPT_MS)) return;
    this.logger.error('An Idempotency-Key claim was lost while its request was still working');
  }

  private renewEvery(key: string, record: string, leaseMs: number): Renewal {
    let stopped = false;
    const renewal: Renewal = { stop: () => (stopped = true) };
    this.renewals.add(renewal);
    void (async () => {
      while (!stopped && !this.closed) {
        await this.clock.sleep(Math.max(100, Math.floor(leaseMs / 3)));
        if (stopped || this.closed) break;
        // A store that cannot answer now: the next round tries again, within the lease.
        await this.store.setIfHolding(key, record, key, record, leaseMs).catch(() => undefined);
      }
    })();
    return renewal;
  }

  private stop(renewal: Renewal): void {
    renewal.stop();
    this.renewals.delete(renewal);
  }
}

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
