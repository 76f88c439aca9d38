import { createHash } from 'node:crypto';
import { KeyValueStore, type ScriptReply, type StoreScript, StoreUnavailableError } from './key-value.store.js';
import type { RedisConnection, RedisSingleClient } from './redis.connection.js';

const DELETE_IF_EQUALS = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;
const SET_IF_HOLDING = `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3]) return 1 else return 0 end`;
const INCREMENT_WITH_TTL = `local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('PTTL', KEYS[1])}`;

export class RedisKeyValueStore extends KeyValueStore {
  readonly kind = 'redis' as const;

  constructor(private readonly redis: RedisConnection) {
    super();
  }

  get(key: string): Promise<string | null> {
    return this.run((c) => c.get(key));
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await this.run((c) => c.set(key, value, { expiration: { type: 'PX', value: Math.max(1, Math.ceil(ttlMs)) } }));
  }

  async delete(key: string): Promise<void> {
    await this.run((c) => c.del(key));
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    const reply = await this.run((c) =>
      c.set(key, value, { condition: 'NX', expiration: { type: 'PX', value: Math.max(1, Math.ceil(ttlMs)) } }),
    );
    return reply === 'OK';
  }

  async deleteIfEquals(key: string, expected: string): Promise<boolean> {
    const reply = await this.run((c) => c.eval(DELETE_IF_EQUALS, { keys: [key], arguments: [expected] }));
    return Number(reply) === 1;
  }

  async setIfHolding(guardKey: string, expected: string, key: string, value: string, ttlMs: number): Promise<boolean> {
    const reply = await this.run((c) =>
      c.eval(SET_IF_HOLDING, { keys: [guardKey, key], arguments: [expected, value, String(Math.max(1, Math.ceil(ttlMs)))] }),
    );
    return Number(reply) === 1;
  }

  async increment(key: string, ttlMs: number): Promise<{ count: number; ttlMs: number }> {
    const reply = (await this.run((c) =>
      c.eval(INCREMENT_WITH_TTL, { keys: [key], arguments: [String(Math.max(1, Math.ceil(ttlMs)))] }),
    )) as unknown as [number, number];
    return { count: Number(reply[0]), ttlMs: Number(reply[1]) };
  }

  async listPush(key: string, value: string): Promise<void> {
    await this.run((c) => c.rPush(key, value));
  }

  listHead(key: string, count: number): Promise<string[]> {
    return this.run((c) => c.lRange(key, 0, count - 1));
  }

  async listRemove(key: string, value: string): Promise<void> {
    await this.run((c) => c.lRem(key, 1, value));
  }

  async ping(): Promise<void> {
    await this.run((c) => c.ping());
  }

  // --- Scripts and multi-key reads (sessions) -------------------------------------------------
  private readonly scriptShas = new WeakMap<StoreScript, string>();

  async getMany(keys: readonly string[]): Promise<Array<string | null>> {
    if (keys.length === 0) return [];
    return this.run((c) => c.mGet([...keys]));
  }

  runScript(script: StoreScript, keys: readonly string[], args: readonly string[]): Promise<ScriptReply> {
    let sha = this.scriptShas.get(script);
    if (!sha) {
      sha = createHash('sha1').update(script.lua).digest('hex');
      this.scriptShas.set(script, sha);
    }
    const options = { keys: [...keys], arguments: [...args] };
    return this.run(async (c) => {
      try {
        return (await c.evalSha(sha, options)) as ScriptReply;
      } catch (error) {
        // First use on this server (or after SCRIPT FLUSH / a restart): EVAL loads it.
        if (!/NOSCRIPT/.test((error as Error).message)) throw error;
        return (await c.eval(script.lua, options)) as ScriptReply;
      }
    });
  }

  // The casts: the single and the cluster client share these commands' signatures, but TypeScript
  // cannot call a method through a union of two overloaded client types.
  private run<T>(command: (client: RedisSingleClient) => Promise<T>): Promise<T> {
    if (!this.redis.ready) return Promise.reject(new StoreUnavailableError('Redis is not connected'));
    return this.redis.deadline.run(() => command(this.redis.client as RedisSingleClient), toStoreError);
  }
}

function toStoreError(error: unknown): Error {
  if (error instanceof StoreUnavailableError) return error;
  return new StoreUnavailableError(`Redis command failed: ${(error as Error).message}`, { cause: error });
}
