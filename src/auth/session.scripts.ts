import type { LocalScriptContext, StoreScript } from '../redis/key-value.store.js';

/*
 * The session scripts, each once in Lua (Redis) and once in TypeScript (the in-process store), with
 * the same keys and arguments. Every key a script touches carries the user's hash tag (session.keys.ts),
 * so each runs atomically on one node of a Redis Cluster too.
 *
 * A session's value is `{"c":<created ms>,"e":<expires ms>,"user":<snapshot JSON>}`: the snapshot is
 * the tail, so a rewrite keeps the head and swaps the tail without decoding anything.
 */
const USER_FIELD = '"user":';

function swapUser(value: string, userJson: string): string {
  return `${value.slice(0, value.indexOf(USER_FIELD) + USER_FIELD.length)}${userJson}}`;
}

/** Drops index entries of sessions created a whole TTL ago (their keys have expired). */
function dropExpired(store: LocalScriptContext, index: string, now: number, ttlMs: number): void {
  store.zremRangeByScore(index, now - ttlMs);
}

/**
 * Opens a session with the user's current snapshot (the stored one wins over the caller's fallback, so
 * a refresh that ran meanwhile is never undone), records WeChat's newest session_key, and ends the
 * oldest sessions beyond the cap.
 * KEYS: session, index, user, wechat session_key. ARGV: sid, now, ttlMs, max, value head, fallback
 * snapshot ('' = none), session_key, user-data TTL, session key prefix.
 * → [0] when there is no snapshot (stored or given); [1, snapshot JSON] otherwise.
 */
export const CREATE_SESSION: StoreScript = {
  name: 'create-session',
  lua: `local user = redis.call('GET', KEYS[3])
if not user then
  if ARGV[6] == '' then return {0} end
  user = ARGV[6]
end
local now = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
redis.call('SET', KEYS[3], user, 'PX', ARGV[8])
redis.call('SET', KEYS[4], ARGV[7], 'PX', ARGV[8])
redis.call('SET', KEYS[1], ARGV[5] .. user .. '}', 'PX', ttl)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - ttl)
local score = now
local newest = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
if newest[2] and tonumber(newest[2]) >= score then score = tonumber(newest[2]) + 1 end
redis.call('ZADD', KEYS[2], score, ARGV[1])
redis.call('PEXPIRE', KEYS[2], ttl)
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[4])
if over > 0 then
  for _, id in ipairs(redis.call('ZRANGE', KEYS[2], 0, over - 1)) do
    redis.call('DEL', ARGV[9] .. id)
    redis.call('ZREM', KEYS[2], id)
  end
end
return {1, user}`,
  local(store, [session, index, userKey, wechatKey], [sid, nowText, ttlText, maxText, head, fallback, sessionKey, userTtl, prefix]) {
    const user = store.get(userKey) ?? (fallback === '' ? null : fallback);
    if (user === null) return [0];
    const now = Number(nowText);
    const ttlMs = Number(ttlText);
    store.set(userKey, user, Number(userTtl));
    store.set(wechatKey, sessionKey, Number(userTtl));
    store.set(session, `${head}${user}}`, ttlMs);
    dropExpired(store, index, now, ttlMs);
    const members = store.zrangeWithScores(index);
    const newest = members.at(-1)?.[1];
    store.zadd(index, newest !== undefined && newest >= now ? newest + 1 : now, sid);
    store.pexpire(index, ttlMs);
    const over = members.length + 1 - Number(maxText);
    for (const [id] of store.zrangeWithScores(index).slice(0, Math.max(0, over))) {
      store.del(prefix + id);
      store.zrem(index, id);
    }
    return [1, user];
  },
};

/**
 * Stores the user's new snapshot and rewrites every live session of it (their expiry unchanged).
 * KEYS: index, user. ARGV: snapshot JSON, now, ttlMs, session key prefix, user-data TTL. → sessions rewritten.
 */
export const REFRESH_USER: StoreScript = {
  name: 'refresh-user',
  lua: `redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[2]) - tonumber(ARGV[3]))
local rewritten = 0
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local key = ARGV[4] .. id
  local value = redis.call('GET', key)
  if value then
    local at = string.find(value, '${USER_FIELD}', 1, true)
    redis.call('SET', key, string.sub(value, 1, at + ${USER_FIELD.length - 1}) .. ARGV[1] .. '}', 'KEEPTTL')
    rewritten = rewritten + 1
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return rewritten`,
  local(store, [index, userKey], [userJson, now, ttlMs, prefix, userTtl]) {
    store.set(userKey, userJson, Number(userTtl));
    dropExpired(store, index, Number(now), Number(ttlMs));
    let rewritten = 0;
    for (const [id] of store.zrangeWithScores(index)) {
      const value = store.get(prefix + id);
      if (value === null) {
        store.zrem(index, id);
        continue;
      }
      store.set(prefix + id, swapUser(value, userJson), 'keep');
      rewritten += 1;
    }
    return rewritten;
  },
};

/** KEYS: session, index. ARGV: sid. → 1 when the session existed. */
export const END_SESSION: StoreScript = {
  name: 'end-session',
  lua: `redis.call('ZREM', KEYS[2], ARGV[1])
return redis.call('DEL', KEYS[1])`,
  local(store, [session, index], [sid]) {
    store.zrem(index, sid);
    return store.del(session) ? 1 : 0;
  },
};

/**
 * Ends every session of a user; with forget = '1' also drops its stored snapshot and session_key.
 * KEYS: index, user, wechat session_key. ARGV: session key prefix, forget. → sessions ended.
 */
export const END_ALL_SESSIONS: StoreScript = {
  name: 'end-all-sessions',
  lua: `local ended = 0
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  ended = ended + redis.call('DEL', ARGV[1] .. id)
end
redis.call('DEL', KEYS[1])
if ARGV[2] == '1' then redis.call('DEL', KEYS[2], KEYS[3]) end
return ended`,
  local(store, [index, userKey, wechatKey], [prefix, forget]) {
    let ended = 0;
    for (const [id] of store.zrangeWithScores(index)) ended += store.del(prefix + id) ? 1 : 0;
    store.del(index);
    if (forget === '1') {
      store.del(userKey);
      store.del(wechatKey);
    }
    return ended;
  },
};
