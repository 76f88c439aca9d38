import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { KeyValueStore } from '../redis/key-value.store.js';
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
    : ['event', event.fromUserName, event.createTime, event.event, ...event.items.map((i) => [i.templateId, i.status, i.msgId, i.errorCode].join('\u0001'))];
  return `push:seen:${createHash('sha256').update(identity.join('\u0000')).digest('hex')}`;
}
