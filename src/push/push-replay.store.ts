import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { KeyValueStore } from '../redis/key-value.store.js';
import { MAX_CLOCK_SKEW_SECONDS } from './push.constants.js';
import { PushErrors } from './push.errors.js';
import type { PushEvent } from './push-event.js';

// Longer than one push can take to apply (every database wait has a deadline well below it).
const CLAIM_MS = 30_000;
// WeChat retries within seconds; a day covers any redelivery with room to spare.
const KEPT_MS = 24 * 3600_000;
const DONE = 'done';

/**
 * Applies each push once across instances: a push is claimed (SET NX) before its writes and marked
 * done after them. A claim whose writes failed is released, so WeChat's retry applies it in full.
 */
@Injectable()
export class PushReplayStore {
  constructor(private readonly store: KeyValueStore) {}

  /** 'claimed': apply it now; 'done': already applied (ack it); another request still applying it → 503. */
  async claim(key: string): Promise<'claimed' | 'done'> {
    if (await this.store.setIfAbsent(key, 'applying', CLAIM_MS)) return 'claimed';
    const state = await this.store.get(key);
    if (state === DONE) return 'done';
    if (state === null) return this.claim(key);
    throw PushErrors.PUSH_IN_PROGRESS();
  }

  /**
   * Plaintext mode: `signature` covers token, timestamp and nonce but not the body, so anyone who saw
   * one push could send another body with its query. The first body a signature arrives with is the
   * only one it is good for, while its timestamp is accepted (either side of now).
   */
  async bindSignature(signature: string, timestamp: string, nonce: string, body: string): Promise<void> {
    const key = `push:sig:${sha256([signature.toLowerCase(), timestamp, nonce].join('\u0000'))}`;
    const digest = sha256(body);
    if (await this.store.setIfAbsent(key, digest, 2 * MAX_CLOCK_SKEW_SECONDS * 1000 + 60_000)) return;
    const bound = await this.store.get(key);
    if (bound !== null && bound !== digest) throw PushErrors.PUSH_SIGNATURE_REUSED();
  }

  async complete(key: string): Promise<void> {
    await this.store.set(key, DONE, KEPT_MS);
  }

  async release(key: string): Promise<void> {
    await this.store.delete(key);
  }
}

/**
 * What makes a push the same push again: MsgId when it has one, else sender, CreateTime and
 * event (wechat-api.md §7), plus its items, so two different answers in one second stay two.
 */
export function replayKey(event: PushEvent): string {
  const identity = event.msgId
    ? ['msg', event.msgId]
    : [
        'event',
        event.fromUserName,
        event.createTime,
        event.event,
        ...event.items.map((i) => [i.templateId, i.status, i.msgId, i.errorCode].join('\u0001')),
      ];
  return `push:seen:${sha256(identity.join('\u0000'))}`;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
