import type { RedisConnection, RedisSingleClient } from '../../redis/redis.connection.js';
import { withStoreDeadline } from './deadline.js';

/** When `count` sends may start: the first at `startAt` (epoch ms here), each next one `intervalMs` later. */
export interface Reservation {
  startAt: number;
  intervalMs: number;
  /** The first slot on the shared clock (Redis's), which every instance's slots are spaced on. */
  firstSlot: number;
}

const RESERVE_TIMEOUT_MS = 1000;

/**
 * PUSH_RATE_PER_SECOND across all instances: send slots are handed out evenly spaced
 * (1000 / rate ms apart) from one shared "next free slot" time, so however many workers ask, no
 * window of one second holds more than `rate` slots. A worker reserves a few slots at once and
 * sends each at its own slot. Rate 0 turns it off.
 */
export abstract class SendRateLimiter {
  protected readonly intervalMs: number;

  constructor(ratePerSecond: number) {
    this.intervalMs = ratePerSecond > 0 ? 1000 / ratePerSecond : 0;
  }

  async reserve(count: number): Promise<Reservation> {
    if (this.intervalMs === 0) return { startAt: Date.now(), intervalMs: 0, firstSlot: Date.now() };
    const { waitMs, firstSlot } = await this.reserveSlots(count);
    return { startAt: Date.now() + waitMs, intervalMs: this.intervalMs, firstSlot };
  }

  /** The first of `count` consecutive slots: how long from now, and when on the shared clock. */
  protected abstract reserveSlots(count: number): Promise<{ waitMs: number; firstSlot: number }>;
}

// The shared clock is Redis's (TIME), so instances with skewed clocks still space their slots.
const RESERVE = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local nextFree = tonumber(redis.call('GET', KEYS[1]) or '0')
local first = math.max(nextFree, now)
local after = first + interval * tonumber(ARGV[2])
redis.call('SET', KEYS[1], tostring(after), 'PX', math.ceil(after - now) + 1000)
return {tostring(first - now), tostring(first)}`;

export class RedisSendRateLimiter extends SendRateLimiter {
  constructor(
    ratePerSecond: number,
    private readonly redis: RedisConnection,
  ) {
    super(ratePerSecond);
  }

  protected async reserveSlots(count: number): Promise<{ waitMs: number; firstSlot: number }> {
    const client = this.redis.client as RedisSingleClient;
    const reply = (await withStoreDeadline(
      client.eval(RESERVE, { keys: ['batch:send-rate'], arguments: [String(this.intervalMs), String(count)] }),
      RESERVE_TIMEOUT_MS,
      'Redis (send rate)',
    )) as unknown as [string, string];
    return { waitMs: Number(reply[0]), firstSlot: Number(reply[1]) };
  }
}

export class MemorySendRateLimiter extends SendRateLimiter {
  private nextFree = 0;

  protected async reserveSlots(count: number): Promise<{ waitMs: number; firstSlot: number }> {
    const now = Date.now();
    const first = Math.max(this.nextFree, now);
    this.nextFree = first + this.intervalMs * count;
    return { waitMs: first - now, firstSlot: first };
  }
}
