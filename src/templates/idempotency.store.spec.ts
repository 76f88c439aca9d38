import { describe, expect, it } from '@jest/globals';
import { ManualClock } from '../../test/support/manual-clock.js';
import { MemoryKeyValueStore } from '../redis/memory-key-value.store.js';
import { IdempotencyStore } from './idempotency.store.js';

const IN_FLIGHT_MS = 35_000;
const request = { templateId: 'tpl', data: { thing1: { value: 'hi' } }, openid: undefined };

function setUp() {
  const clock = new ManualClock();
  const store = new MemoryKeyValueStore(clock);
  return { clock, store, idempotency: new IdempotencyStore(store, clock) };
}

describe('IdempotencyStore', () => {
  it('claims a new key once, then replays the kept outcome for the same request for 24 h', async () => {
    const { clock, idempotency } = setUp();
    const claim = await idempotency.claim('user:1', 'key-1', request, IN_FLIGHT_MS);
    expect(claim).toMatchObject({ kind: 'claimed', key: expect.stringMatching(/^idempotency:[0-9a-f]{64}$/) });
    if (claim.kind !== 'claimed') return;
    await idempotency.complete(claim, { status: 200, body: { msgid: 1 } });
    // Key order and undefined fields do not make another request.
    const same = { data: { thing1: { value: 'hi' } }, templateId: 'tpl' };
    await expect(idempotency.claim('user:1', 'key-1', same, IN_FLIGHT_MS)).resolves.toEqual({
      kind: 'replay',
      outcome: { status: 200, body: { msgid: 1 } },
    });
    await clock.advance(24 * 3600_000);
    await expect(idempotency.claim('user:1', 'key-1', same, IN_FLIGHT_MS)).resolves.toMatchObject({ kind: 'claimed' });
  });

  it('keeps keys apart per scope: the same key of another principal is a new claim', async () => {
    const { idempotency } = setUp();
    await idempotency.claim('user:1', 'key-1', request, IN_FLIGHT_MS);
    await expect(idempotency.claim('service:crm', 'key-1', request, IN_FLIGHT_MS)).resolves.toMatchObject({ kind: 'claimed' });
  });

  it('refuses a second request while the first is in flight (409) and a different request under the key (422)', async () => {
    const { idempotency } = setUp();
    await idempotency.claim('user:1', 'key-1', request, IN_FLIGHT_MS);
    await expect(idempotency.claim('user:1', 'key-1', request, IN_FLIGHT_MS)).rejects.toMatchObject({
      code: 'IDEMPOTENCY_KEY_IN_FLIGHT',
      status: 409,
    });
    await expect(idempotency.claim('user:1', 'key-1', { ...request, templateId: 'other' }, IN_FLIGHT_MS)).rejects.toMatchObject({
      code: 'IDEMPOTENCY_KEY_REUSED',
      status: 422,
    });
  });

  it('frees the key of a crashed request after the in-flight bound, and at once on release', async () => {
    const { clock, idempotency } = setUp();
    const crashed = await idempotency.claim('user:1', 'key-1', request, IN_FLIGHT_MS);
    if (crashed.kind !== 'claimed') throw new Error('not claimed');
    crashed.renewal.stop(); // a crashed instance renews nothing
    await clock.advance(IN_FLIGHT_MS - 1);
    await expect(idempotency.claim('user:1', 'key-1', request, IN_FLIGHT_MS)).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_IN_FLIGHT' });
    await clock.advance(1);
    const again = await idempotency.claim('user:1', 'key-1', request, IN_FLIGHT_MS);
    expect(again.kind).toBe('claimed');
    if (again.kind !== 'claimed') return;
    await idempotency.release(again);
    await expect(idempotency.claim('user:1', 'key-1', request, IN_FLIGHT_MS)).resolves.toMatchObject({ kind: 'claimed' });
  });

  it('lets exactly one of many concurrent claims of one key through', async () => {
    const { idempotency } = setUp();
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10 }, () => idempotency.claim('user:1', 'key-1', request, IN_FLIGHT_MS)),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const refusals = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(refusals.map((o) => (o.reason as { code: string }).code)).toEqual(Array(9).fill('IDEMPOTENCY_KEY_IN_FLIGHT'));
  });

  it('renews the claim while the request works, however long that is', async () => {
    const { clock, idempotency } = setUp();
    const claim = await idempotency.claim('user:1', 'key-1', request, IN_FLIGHT_MS);
    await clock.advance(IN_FLIGHT_MS * 5);
    await expect(idempotency.claim('user:1', 'key-1', request, IN_FLIGHT_MS)).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_IN_FLIGHT' });
    if (claim.kind !== 'claimed') return;
    await idempotency.complete(claim, { status: 200, body: { msgid: 7 } });
    await expect(idempotency.claim('user:1', 'key-1', request, IN_FLIGHT_MS)).resolves.toEqual({
      kind: 'replay',
      outcome: { status: 200, body: { msgid: 7 } },
    });
  });

  it("never completes or releases over another request's claim", async () => {
    const { clock, idempotency } = setUp();
    const first = await idempotency.claim('user:1', 'key-1', request, IN_FLIGHT_MS);
    if (first.kind !== 'claimed') return;
    first.renewal.stop();
    await clock.advance(IN_FLIGHT_MS);
    const second = await idempotency.claim('user:1', 'key-1', request, IN_FLIGHT_MS);
    expect(second.kind).toBe('claimed');
    await idempotency.release(first);
    await idempotency.complete(first, { status: 200, body: { msgid: 1 } });
    await expect(idempotency.claim('user:1', 'key-1', request, IN_FLIGHT_MS)).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_IN_FLIGHT' });
  });
});
