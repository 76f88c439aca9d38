import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { KeyValueStore } from '../redis/key-value.store.js';
import { TemplatesErrors } from './templates.errors.js';

const KEPT_MS = 24 * 3600_000;

export interface StoredOutcome {
  status: number;
  body: Record<string, unknown>;
}

type IdempotencyRecord = { state: 'in_flight'; fingerprint: string } | ({ state: 'done'; fingerprint: string } & StoredOutcome);

export type Claim = { kind: 'claimed'; key: string } | { kind: 'replay'; outcome: StoredOutcome };

/**
 * Idempotency-Key records, per principal, for 24 h. The first request claims the key with SET NX,
 * so two concurrent requests with one key can never both send.
 */
@Injectable()
export class IdempotencyStore {
  constructor(private readonly store: KeyValueStore) {}

  /** `inFlightMs` bounds how long a crashed request can hold the key. */
  async claim(scope: string, idempotencyKey: string, request: unknown, inFlightMs: number): Promise<Claim> {
    const key = `idempotency:${sha256(`${scope}\n${idempotencyKey}`)}`;
    const fingerprint = sha256(stableStringify(request));
    const claimed = await this.store.setIfAbsent(key, JSON.stringify({ state: 'in_flight', fingerprint }), inFlightMs);
    if (claimed) return { kind: 'claimed', key };
    const raw = await this.store.get(key);
    if (!raw) return this.claim(scope, idempotencyKey, request, inFlightMs);
    const record = JSON.parse(raw) as IdempotencyRecord;
    if (record.fingerprint !== fingerprint) {
      throw TemplatesErrors.IDEMPOTENCY_KEY_REUSED();
    }
    if (record.state === 'in_flight') {
      throw TemplatesErrors.IDEMPOTENCY_KEY_IN_FLIGHT();
    }
    return { kind: 'replay', outcome: { status: record.status, body: record.body } };
  }

  async complete(key: string, request: unknown, outcome: StoredOutcome): Promise<void> {
    const record: IdempotencyRecord = { state: 'done', fingerprint: sha256(stableStringify(request)), ...outcome };
    await this.store.set(key, JSON.stringify(record), KEPT_MS);
  }

  /** A first attempt that ended in a 5xx is not kept: the client's retry really sends. */
  async release(key: string): Promise<void> {
    await this.store.delete(key);
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
