import { RedisConnection } from '../../src/redis/redis.connection.js';
import { RedisSendRateLimiter } from '../../src/templates/batches/send-rate.limiter.js';
import { describeWithServices, redisClusterNodes, redisUrl } from '../support/backends.js';
import { waitFor } from '../support/service-processes.js';

function connect(): RedisConnection {
  const connection = new RedisConnection(
    redisClusterNodes
      ? { clusterNodes: redisClusterNodes.split(',').map((node) => ({ host: node.split(':')[0], port: Number(node.split(':')[1]) })) }
      : { url: redisUrl as string },
  );
  connection.start();
  return connection;
}

describeWithServices({ redis: true }, 'send-rate slots shared through Redis', () => {
  const connections: RedisConnection[] = [];
  afterAll(async () => {
    for (const connection of connections) await connection.close();
  });

  it('hands out slots 1000/rate ms apart to any number of limiters, so no second holds more than the rate', async () => {
    const rate = 200;
    // Two connections, as two instances have.
    connections.push(connect(), connect());
    await waitFor(async () => connections.every((c) => c.ready), 'Redis');
    const limiters = connections.map((c) => new RedisSendRateLimiter(rate, c));

    const slots: number[] = [];
    await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const count = 1 + (i % 7);
        const { firstSlot, intervalMs } = await limiters[i % 2].reserve(count);
        expect(intervalMs).toBe(1000 / rate);
        for (let k = 0; k < count; k += 1) slots.push(firstSlot + k * intervalMs);
      }),
    );
    slots.sort((x, y) => x - y);
    // On the shared clock no two slots are closer than 1000 / rate ms (Lua numbers are doubles: 1e-6 of rounding).
    const gaps = slots.slice(1).map((slot, i) => slot - slots[i]);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(1000 / rate - 1e-6);
    let busiest = 0;
    for (let i = 0, j = 0; i < slots.length; i += 1) {
      while (slots[j] <= slots[i] - 1000 + 1e-6) j += 1;
      busiest = Math.max(busiest, i - j + 1);
    }
    expect(slots.length).toBe(Array.from({ length: 40 }, (_, i) => 1 + (i % 7)).reduce((a, b) => a + b, 0));
    expect(busiest).toBeLessThanOrEqual(rate);
  });
});
