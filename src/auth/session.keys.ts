import { hash, randomFillSync } from 'node:crypto';

/*
 * The only place that knows how sessions are named in the store. Everything of one user shares the
 * hash tag {u<id>} (one Redis Cluster slot), so a script can touch all of it atomically.
 *
 * A token is `<user id>.<32 random base64url chars>` (192 random bits): the id routes the guard's
 * one read to the user's slot. The store key holds the token's SHA-256, never the token itself.
 */
const TOKEN = /^([1-9]\d{0,14})\.([A-Za-z0-9_-]{32})$/;

export interface ParsedToken {
  userId: number;
  sessionId: string;
}

// Random bytes for 128 tokens per call into the CSPRNG (as crypto.randomUUID keeps its own cache):
// a call costs system calls, a login needs 24 bytes. Each part is handed out once.
const TOKEN_BYTES = 24;
const pool = Buffer.alloc(TOKEN_BYTES * 128);
let poolOffset = pool.length;

export function newToken(userId: number): string {
  if (poolOffset === pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const random = pool.toString('base64url', poolOffset, poolOffset + TOKEN_BYTES);
  poolOffset += TOKEN_BYTES;
  return `${userId}.${random}`;
}

export function parseToken(token: string): ParsedToken | null {
  const match = TOKEN.exec(token);
  if (!match) return null;
  return { userId: Number(match[1]), sessionId: hash('sha256', token, 'base64url') };
}

const tag = (userId: number) => `{u${userId}}`;

export const sessionKeys = {
  /** Prefix of every session key of the user; + session id = the key. */
  sessionPrefix: (userId: number) => `sess:${tag(userId)}:`,
  session: (userId: number, sessionId: string) => `sess:${tag(userId)}:${sessionId}`,
  /** Sorted set of the user's session ids, scored by creation time (ms). */
  index: (userId: number) => `sessions:${tag(userId)}`,
  /** The user's current snapshot (JSON), the one every new session copies. */
  user: (userId: number) => `user:${tag(userId)}`,
  /** The newest session_key WeChat gave for the user's openid. Server side only. */
  wechatSessionKey: (userId: number) => `wx-session-key:${tag(userId)}`,
  /** openid → user id, so a repeat login needs no SQL. */
  userIdByOpenid: (openid: string) => `user-id-by-openid:${openid}`,
};
