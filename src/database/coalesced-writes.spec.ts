import { setImmediate as nextTurn } from 'node:timers/promises';
import { CoalescedWrites } from './coalesced-writes.js';

class Shared extends Error {}

/** A write that records each call's items and fails for the items `failing` names. */
function recordingWrite(failing: (items: string[]) => Error | null = () => null) {
  const calls: string[][] = [];
  const write = async (items: string[]) => {
    calls.push([...items]);
    const error = failing(items);
    if (error) throw error;
  };
  return { calls, write };
}

const isShared = (error: unknown) => error instanceof Shared;

describe('CoalescedWrites', () => {
  it('writes the items added in one turn of the event loop with one call, and settles each adder', async () => {
    const { calls, write } = recordingWrite();
    const writes = new CoalescedWrites(write, isShared);
    const added = ['a', 'b', 'c'].map((item) => writes.add(item));
    expect(calls).toEqual([]);
    await expect(Promise.all(added)).resolves.toEqual([undefined, undefined, undefined]);
    expect(calls).toEqual([['a', 'b', 'c']]);
  });

  it('writes items of later turns with later calls', async () => {
    const { calls, write } = recordingWrite();
    const writes = new CoalescedWrites(write, isShared);
    const first = writes.add('a');
    await nextTurn();
    const second = writes.add('b');
    await Promise.all([first, second]);
    expect(calls).toEqual([['a'], ['b']]);
  });

  it('writes at once when maxItems are waiting, and the rest at the end of the turn', async () => {
    const { calls, write } = recordingWrite();
    const writes = new CoalescedWrites(write, isShared, 2);
    const added = ['a', 'b', 'c'].map((item) => writes.add(item));
    expect(calls).toEqual([['a', 'b']]);
    await Promise.all(added);
    expect(calls).toEqual([['a', 'b'], ['c']]);
  });

  it('writes each item on its own after a failure of the whole, so only the bad item fails', async () => {
    const bad = new Error('Data too long');
    const { calls, write } = recordingWrite((items) => (items.includes('bad') ? bad : null));
    const writes = new CoalescedWrites(write, isShared);
    const outcomes = await Promise.allSettled(['a', 'bad', 'c'].map((item) => writes.add(item)));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toBe(bad);
    expect(calls).toEqual([['a', 'bad', 'c'], ['a'], ['bad'], ['c']]);
  });

  it('fails every item with a shared failure (the database unreachable), without writing each again', async () => {
    const down = new Shared('database unavailable');
    const { calls, write } = recordingWrite(() => down);
    const writes = new CoalescedWrites(write, isShared);
    const outcomes = await Promise.allSettled(['a', 'b'].map((item) => writes.add(item)));
    expect(outcomes).toEqual([
      { status: 'rejected', reason: down },
      { status: 'rejected', reason: down },
    ]);
    expect(calls).toEqual([['a', 'b']]);
  });
});
