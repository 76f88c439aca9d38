import { DomainError } from '../common/errors/domain.error.js';
import { MemoryKeyValueStore } from '../redis/memory-key-value.store.js';
import { PushReplayStore, replayKey } from './push-replay.store.js';
import type { PushEvent } from './push-event.js';

const EVENT: PushEvent = {
  toUserName: 'gh_1',
  fromUserName: 'oUser',
  createTime: '1764000000',
  msgType: 'event',
  event: 'subscribe_msg_popup_event',
  msgId: '',
  items: [{ templateId: 't1', status: 'accept', msgId: '', errorCode: null, errorStatus: '' }],
};

async function codeOf(work: Promise<unknown>): Promise<string | undefined> {
  try {
    await work;
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
  return undefined;
}

describe('PushReplayStore', () => {
  let memory: MemoryKeyValueStore;
  let replays: PushReplayStore;
  beforeEach(() => {
    memory = new MemoryKeyValueStore();
    replays = new PushReplayStore(memory);
  });
  afterEach(() => memory.close());

  it('keys a push by sender, CreateTime, event and items, or by MsgId', () => {
    const key = replayKey(EVENT);
    expect(replayKey({ ...EVENT })).toBe(key);
    expect(replayKey({ ...EVENT, createTime: '1764000001' })).not.toBe(key);
    expect(replayKey({ ...EVENT, fromUserName: 'oOther' })).not.toBe(key);
    expect(replayKey({ ...EVENT, items: [{ ...EVENT.items[0], status: 'reject' }] })).not.toBe(key);
    expect(replayKey({ ...EVENT, msgId: '6054768590064713728' })).toBe(
      replayKey({ ...EVENT, createTime: '1', msgId: '6054768590064713728' }),
    );
  });

  it('claims once; a claim still applying answers PUSH_IN_PROGRESS; done is remembered; a released claim can be taken again', async () => {
    const key = replayKey(EVENT);
    expect(await replays.claim(key)).toBe('claimed');
    expect(await codeOf(replays.claim(key))).toBe('PUSH_IN_PROGRESS');
    await replays.release(key);
    expect(await replays.claim(key)).toBe('claimed');
    await replays.complete(key);
    expect(await replays.claim(key)).toBe('done');
  });

  it('binds a plaintext signature to the first body it came with', async () => {
    await replays.bindSignature('ABCDEF', '1764000000', '42', 'body one');
    await expect(replays.bindSignature('abcdef', '1764000000', '42', 'body one')).resolves.toBeUndefined();
    expect(await codeOf(replays.bindSignature('abcdef', '1764000000', '42', 'body two'))).toBe('PUSH_SIGNATURE_REUSED');
    await expect(replays.bindSignature('abcdef', '1764000000', '43', 'body two')).resolves.toBeUndefined();
  });
});
