import { beforeAll, describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { ManualClock } from '../../test/support/manual-clock.js';
import { MemoryKeyValueStore } from '../redis/memory-key-value.store.js';
import { ForceRefreshBudget } from './force-refresh.budget.js';

beforeAll(() => Logger.overrideLogger(false));

describe('ForceRefreshBudget (wechat-api.md §3: 20 a day, at least 30 s apart)', () => {
  it('allows 20 forced refreshes a day, 30 s apart, shared by every instance on the store', async () => {
    const clock = new ManualClock(Date.UTC(2024, 0, 1, 0, 0, 0));
    const store = new MemoryKeyValueStore(clock);
    const [a, b] = [new ForceRefreshBudget(store, clock, 'k'), new ForceRefreshBudget(store, clock, 'k')];
    const granted: boolean[] = [];
    for (let i = 0; i < 21; i += 1) {
      granted.push(await (i % 2 === 0 ? a : b).take());
      await clock.advance(30_000);
    }
    expect(granted).toEqual([...Array<boolean>(20).fill(true), false]);
    await clock.advance(24 * 3600_000);
    await expect(a.take()).resolves.toBe(true);
  });

  it('refuses a second forced refresh within 30 s', async () => {
    const clock = new ManualClock();
    const budget = new ForceRefreshBudget(new MemoryKeyValueStore(clock), clock, 'k');
    await expect(budget.take()).resolves.toBe(true);
    await clock.advance(29_999);
    await expect(budget.take()).resolves.toBe(false);
    await clock.advance(1);
    await expect(budget.take()).resolves.toBe(true);
  });
});
