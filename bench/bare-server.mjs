// The practical limit for `npm run bench`: the same three endpoints as the app, written directly on
// node:http with no framework, over the same database and store, doing the same work per request:
//
//   POST /auth/login      GET jscode2session at WeChat; GET openid → user id from the store; when it is
//                         unknown, insert the user (MySQL: one INSERT IGNORE whose row is known without a
//                         SELECT, as the app does; SQLite: upsert and SELECT), then SET the mapping and
//                         open the session with the app's own create-session script (the session carries
//                         the user's snapshot) in one write; answer {token, expiresIn, user} plus the
//                         Authorization header.
//   GET  /users/me        one GET of the session: the user is in it (the app's one-read design).
//   POST /templates/send  GET the session, GET the access token from the store (fetched once from
//                         /cgi-bin/stable_token, then cached there), POST subscribe/send, INSERT a
//                         message_log row, answer {msgid}.
//   GET  /health          pings the database and the store.
//
// Configuration is the app's own environment: PORT, DATABASE_URL (mysql://… or sqlite:<path>; unset:
// data/app.sqlite), REDIS_URL (unset: an in-process Map), WECHAT_APP_ID, WECHAT_APP_SECRET,
// WECHAT_API_BASE_URL, SESSION_TTL_SECONDS, WECHAT_TIMEOUT_MS.
//
// Schema: the app's. On MySQL this server refuses to start until the app has run once against the
// database (its migrations create `user` and `message_log`; tables created here would make those
// migrations fail later), which is why bench/run.mjs starts the app before bare. On SQLite a missing
// table is created here with the app's columns (the app's synchronize adopts it).
//
// Deliberately left out, because they are not part of the work the benchmark compares: input
// validation beyond type checks, request ids and logging, idempotency keys, service tokens, the
// one-call-per-code claim, the refresh lock across instances.
//
// The session keys, token format and scripts are the app's own (imported from dist/, which
// `npm run bench` builds first), so the store does the same work for both.

import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import { dirname } from 'node:path';
import { Pool } from 'undici';

const env = process.env;
const PORT = Number(env.PORT ?? 3000);
const SESSION_TTL_SECONDS = Number(env.SESSION_TTL_SECONDS ?? 604800);
const WECHAT_TIMEOUT_MS = Number(env.WECHAT_TIMEOUT_MS ?? 5000);
const APP_ID = env.WECHAT_APP_ID;
const APP_SECRET = env.WECHAT_APP_SECRET;
if (!APP_ID || !APP_SECRET || !env.WECHAT_API_BASE_URL) {
  console.error('bare-server: WECHAT_APP_ID, WECHAT_APP_SECRET and WECHAT_API_BASE_URL are required');
  process.exit(1);
}
const BODY_LIMIT = 64 * 1024;
const USER_DATA_TTL_MS = Math.max(30 * 24 * 3600 * 1000, SESSION_TTL_SECONDS * 1000);
const MAX_PER_USER = Number(env.SESSION_MAX_PER_USER ?? 10);

let app;
try {
  app = {
    ...(await import('../dist/auth/session.keys.js')),
    ...(await import('../dist/auth/session.scripts.js')),
    ...(await import('../dist/redis/memory-key-value.store.js')),
  };
} catch (error) {
  console.error(`bare-server: cannot load the app's session scripts from dist/ (run \`npm run build\`): ${error.message}`);
  process.exit(1);
}

// ---------------------------------------------------------------------------------------------
// WeChat over undici's pool of keep-alive sockets, as the app's WechatHttp does.

const wechatBase = new URL(env.WECHAT_API_BASE_URL.replace(/\/+$/, ''));
const wechatPool = new Pool(wechatBase.origin, { connections: 64, headersTimeout: WECHAT_TIMEOUT_MS, bodyTimeout: WECHAT_TIMEOUT_MS });
const wechatPrefix = wechatBase.pathname === '/' ? '' : wechatBase.pathname;

function wechatCall(method, path, body) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    let status = 0;
    const chunks = [];
    wechatPool.dispatch(
      {
        method,
        path: wechatPrefix + path,
        headers: payload === undefined ? {} : { 'content-type': 'application/json' },
        body: payload,
      },
      {
        onRequestStart() {},
        onResponseStart(_controller, statusCode) {
          status = statusCode;
        },
        onResponseData(_controller, chunk) {
          chunks.push(chunk);
        },
        onResponseEnd() {
          if (status !== 200) return reject(new HttpError(502, 'WECHAT_UNAVAILABLE', `WeChat HTTP ${status}`));
          let parsed;
          try {
            // msgid is an int64: read it as a string before JSON.parse rounds it.
            parsed = JSON.parse(
              Buffer.concat(chunks)
                .toString('utf8')
                .replace(/("msgid"\s*:\s*)(-?\d+)/g, '$1"$2"'),
            );
          } catch {
            return reject(new HttpError(502, 'WECHAT_BAD_RESPONSE', 'WeChat answered with something that is not JSON'));
          }
          resolve(parsed);
        },
        onResponseError(_controller, error) {
          const timedOut = error.code === 'UND_ERR_HEADERS_TIMEOUT' || error.code === 'UND_ERR_BODY_TIMEOUT';
          reject(
            timedOut
              ? new HttpError(504, 'WECHAT_TIMEOUT', 'WeChat did not answer in time')
              : new HttpError(502, 'WECHAT_UNAVAILABLE', error.message),
          );
        },
      },
    );
  });
}

class HttpError extends Error {
  constructor(status, code, message, details = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

// ---------------------------------------------------------------------------------------------
// The store: Redis (one connection, like the app) or a Map with expiry times.

async function openStore(url) {
  if (!url) {
    const memory = new app.MemoryKeyValueStore();
    return {
      kind: 'memory',
      get: (key) => memory.get(key),
      set: (key, value, ttlMs) => memory.set(key, value, ttlMs),
      runScript: (script, keys, args) => memory.runScript(script, keys, args),
      ping: async () => {},
      close: async () => memory.close(),
    };
  }
  const { createClient } = await import('@redis/client');
  const client = createClient({ url, socket: { connectTimeout: 2000 } });
  client.on('error', (error) => console.error(`bare-server: redis: ${error.message}`));
  await client.connect();
  const shas = new Map();
  return {
    kind: 'redis',
    get: (key) => client.get(key),
    set: async (key, value, ttlMs) =>
      void (await client.set(key, value, { expiration: { type: 'PX', value: Math.max(1, Math.ceil(ttlMs)) } })),
    async runScript(script, keys, args) {
      const options = { keys, arguments: args };
      if (!shas.has(script)) shas.set(script, createHash('sha1').update(script.lua).digest('hex'));
      try {
        return await client.evalSha(shas.get(script), options);
      } catch (error) {
        if (!/NOSCRIPT/.test(error.message)) throw error;
        return client.eval(script.lua, options);
      }
    },
    ping: async () => void (await client.ping()),
    close: () => client.close(),
  };
}

// ---------------------------------------------------------------------------------------------
// The database: mysql2 pool (20 connections, like the app) or better-sqlite3 on the same file.

const SQLITE_USER_TABLE =
  'CREATE TABLE IF NOT EXISTS "user" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "open_id" varchar(32) NOT NULL, ' +
  '"union_id" varchar(64), "created_at" datetime DEFAULT (datetime(\'now\')), "updated_at" datetime DEFAULT (datetime(\'now\')))';
const SQLITE_USER_INDEX = 'CREATE UNIQUE INDEX IF NOT EXISTS "uq_user_open_id" ON "user" ("open_id")';
const SQLITE_MESSAGE_LOG_TABLE =
  'CREATE TABLE IF NOT EXISTS "message_log" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "open_id" varchar(64) NOT NULL, ' +
  '"template_id" varchar(128) NOT NULL, "page" varchar(512), "kind" varchar(16) NOT NULL, "status" varchar(16) NOT NULL, ' +
  '"errcode" integer, "errmsg" varchar(512), "msgid" varchar(32), "requested_by" varchar(96) NOT NULL, ' +
  "\"created_at\" datetime(3) NOT NULL DEFAULT (STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')))";

async function openDatabase(url) {
  if (url && /^(mysql|mariadb):/.test(url)) {
    const mysql = await import('mysql2/promise');
    const pool = mysql.createPool({
      uri: url.replace(/^mariadb:/, 'mysql:'),
      connectionLimit: 20,
      timezone: 'Z',
      charset: 'utf8mb4',
      enableKeepAlive: true,
    });
    const [tables] = await pool.query(
      "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name IN ('user', 'message_log')",
    );
    const missing = ['user', 'message_log'].filter((t) => !tables.some((row) => row.name === t));
    if (missing.length > 0) {
      await pool.end();
      throw new Error(
        `table ${missing.join(' and ')} missing: start the app once against this database first (its migrations create the schema)`,
      );
    }
    const selectUser =
      'SELECT `id`, `open_id`, `union_id`, `nickname`, `avatar_url`, `phone_number`, `country_code`, `created_at`, `updated_at` FROM `user` WHERE ';
    return {
      kind: 'mysql',
      // As the app does: a first login is one statement (the row it inserted is known without reading
      // it back); an openid that had a row after all is upserted and read as before.
      async upsertUser(openid, unionid) {
        const second = Math.floor(Date.now() / 1000);
        const [inserted] = await pool.query(
          'INSERT IGNORE INTO `user` (`open_id`, `union_id`, `created_at`, `updated_at`) VALUES (?, ?, FROM_UNIXTIME(?), FROM_UNIXTIME(?))',
          [openid, unionid, second, second],
        );
        if (inserted.affectedRows === 1) {
          const at = new Date(second * 1000);
          return { id: Number(inserted.insertId), open_id: openid, union_id: unionid, created_at: at, updated_at: at };
        }
        if (unionid) await pool.query('UPDATE `user` SET `union_id` = ? WHERE `open_id` = ?', [unionid, openid]);
        const [rows] = await pool.query(`${selectUser}\`open_id\` = ? LIMIT 1`, [openid]);
        return rows[0];
      },
      async userById(id) {
        const [rows] = await pool.query(`${selectUser}\`id\` = ? LIMIT 1`, [id]);
        return rows[0] ?? null;
      },
      async insertMessageLog(e) {
        await pool.query(
          'INSERT INTO `message_log` (`open_id`, `template_id`, `page`, `kind`, `status`, `errcode`, `errmsg`, `msgid`, `requested_by`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
          [e.openId, e.templateId, e.page, e.kind, e.status, e.errcode, e.errmsg, e.msgid, e.requestedBy],
        );
      },
      ping: async () => void (await pool.query('SELECT 1')),
      close: () => pool.end(),
    };
  }

  const file = url ? url.replace(/^sqlite:/, '') : 'data/app.sqlite';
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(file);
  if (file !== ':memory:') db.pragma('journal_mode = WAL');
  db.exec(SQLITE_USER_TABLE);
  db.exec(SQLITE_USER_INDEX);
  db.exec(SQLITE_MESSAGE_LOG_TABLE);
  const upsert = db.prepare(
    'INSERT INTO "user" ("open_id") VALUES (?) ON CONFLICT ("open_id") DO UPDATE SET "open_id" = excluded."open_id"',
  );
  const upsertWithUnion = db.prepare(
    'INSERT INTO "user" ("open_id", "union_id") VALUES (?, ?) ON CONFLICT ("open_id") DO UPDATE SET "union_id" = excluded."union_id"',
  );
  const byOpenid = db.prepare('SELECT "id", "open_id", "union_id", "created_at", "updated_at" FROM "user" WHERE "open_id" = ? LIMIT 1');
  const byId = db.prepare('SELECT "id", "open_id", "union_id", "created_at", "updated_at" FROM "user" WHERE "id" = ? LIMIT 1');
  const insertLog = db.prepare(
    'INSERT INTO "message_log" ("open_id", "template_id", "page", "kind", "status", "errcode", "errmsg", "msgid", "requested_by") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  return {
    kind: 'sqlite',
    async upsertUser(openid, unionid) {
      if (unionid) upsertWithUnion.run(openid, unionid);
      else upsert.run(openid);
      return byOpenid.get(openid);
    },
    userById: async (id) => byId.get(id) ?? null,
    async insertMessageLog(e) {
      insertLog.run(e.openId, e.templateId, e.page, e.kind, e.status, e.errcode, e.errmsg, e.msgid, e.requestedBy);
    },
    ping: async () => void db.prepare('SELECT 1').get(),
    close: async () => db.close(),
  };
}

// SQLite keeps 'YYYY-MM-DD HH:MM:SS' in UTC; mysql2 (timezone 'Z') gives Dates.
function iso(value) {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string' && !/[zZ]|[+-]\d\d:?\d\d$/.test(value)) return new Date(`${value.replace(' ', 'T')}Z`).toISOString();
  return new Date(value).toISOString();
}

let store;
let database;
try {
  store = await openStore(env.REDIS_URL || undefined);
  database = await openDatabase(env.DATABASE_URL || undefined);
} catch (error) {
  console.error(`bare-server: ${error.message}`);
  process.exit(1);
}

// ---------------------------------------------------------------------------------------------
// Sessions and the access token.

async function findSession(request) {
  const header = request.headers.authorization;
  if (typeof header !== 'string' || header.length === 0)
    throw new HttpError(401, 'AUTH_TOKEN_MISSING', 'Authorization header with a session token is required');
  const token = header.startsWith('Bearer ') || header.startsWith('bearer ') ? header.slice(7).trim() : header.trim();
  const parsed = app.parseToken(token);
  if (!parsed) throw new HttpError(401, 'AUTH_TOKEN_INVALID', 'The session token is unknown or expired');
  const raw = await store.get(app.sessionKeys.session(parsed.userId, parsed.sessionId));
  if (!raw) throw new HttpError(401, 'AUTH_TOKEN_INVALID', 'The session token is unknown or expired');
  return JSON.parse(raw).user;
}

async function openSession(userId, sessionKeyFromWechat, fallback) {
  const token = app.newToken(userId);
  const { sessionId } = app.parseToken(token);
  const now = Date.now();
  const ttlMs = SESSION_TTL_SECONDS * 1000;
  const k = app.sessionKeys;
  const reply = await store.runScript(
    app.CREATE_SESSION,
    [k.session(userId, sessionId), k.index(userId), k.user(userId), k.wechatSessionKey(userId)],
    [
      sessionId,
      String(now),
      String(ttlMs),
      String(MAX_PER_USER),
      `{"c":${now},"e":${now + ttlMs},"user":`,
      fallback ? JSON.stringify(fallback) : '',
      sessionKeyFromWechat,
      String(USER_DATA_TTL_MS),
      k.sessionPrefix(userId),
    ],
  );
  return Number(reply[0]) === 1 ? { token, user: JSON.parse(reply[1]) } : null;
}

const ACCESS_TOKEN_KEY = `bare:wechat:access-token:${APP_ID}`;
const MIN_REMAINING_MS = 60_000;
let tokenInFlight = null;

async function accessToken() {
  const raw = await store.get(ACCESS_TOKEN_KEY);
  if (raw) {
    const stored = JSON.parse(raw);
    if (stored.expiresAt - Date.now() > MIN_REMAINING_MS) return stored.token;
  }
  return fetchAccessToken();
}

function fetchAccessToken() {
  tokenInFlight ??= (async () => {
    const body = await wechatCall('POST', '/cgi-bin/stable_token', {
      grant_type: 'client_credential',
      appid: APP_ID,
      secret: APP_SECRET,
      force_refresh: false,
    });
    if (typeof body.access_token !== 'string') throw new HttpError(502, 'WECHAT_TOKEN_FAILED', `stable_token errcode ${body.errcode}`);
    const expiresAt = Date.now() + body.expires_in * 1000;
    await store.set(
      ACCESS_TOKEN_KEY,
      JSON.stringify({ token: body.access_token, expiresAt, fetchedAt: Date.now() }),
      body.expires_in * 1000,
    );
    return body.access_token;
  })().finally(() => {
    tokenInFlight = null;
  });
  return tokenInFlight;
}

// ---------------------------------------------------------------------------------------------
// The three endpoints.

async function login(request) {
  const body = await readJson(request);
  const code = body?.code ?? body?.js_code;
  if (typeof code !== 'string' || code.length === 0 || code.length > 256)
    throw new HttpError(400, 'VALIDATION_FAILED', 'code must be a non-empty string');
  const query = new URLSearchParams({ appid: APP_ID, secret: APP_SECRET, js_code: code, grant_type: 'authorization_code' });
  const identity = await wechatCall('GET', `/sns/jscode2session?${query}`);
  if (typeof identity.errcode === 'number' && identity.errcode !== 0) {
    if (identity.errcode === 40029 || identity.errcode === 40163)
      throw new HttpError(401, 'WECHAT_INVALID_CODE', 'The login code is invalid or used');
    if (identity.errcode === 45011) throw new HttpError(429, 'WECHAT_RATE_LIMITED', 'WeChat rate limit');
    throw new HttpError(502, 'WECHAT_ERROR', `WeChat errcode ${identity.errcode}`);
  }
  if (typeof identity.openid !== 'string' || typeof identity.session_key !== 'string')
    throw new HttpError(502, 'WECHAT_BAD_RESPONSE', 'no openid');
  const unionid = typeof identity.unionid === 'string' ? identity.unionid : null;
  const mappingKey = app.sessionKeys.userIdByOpenid(identity.openid);
  const known = await store.get(mappingKey);
  let opened = known === null ? null : await openSession(Number(known), identity.session_key);
  if (!opened) {
    const row = await database.upsertUser(identity.openid, unionid);
    const user = {
      id: row.id,
      openid: row.open_id,
      unionid: row.union_id,
      nickname: row.nickname ?? null,
      avatarUrl: row.avatar_url ?? null,
      phoneNumber: row.phone_number ?? null,
      countryCode: row.country_code ?? null,
      createdAt: iso(row.created_at),
      updatedAt: iso(row.updated_at),
    };
    // Both store commands leave in one write, as the app's do.
    [, opened] = await Promise.all([
      store.set(mappingKey, String(user.id), USER_DATA_TTL_MS),
      openSession(user.id, identity.session_key, user),
    ]);
  }
  const { token, user } = opened;
  return {
    headers: { authorization: token },
    body: { token, expiresIn: SESSION_TTL_SECONDS, user: { id: user.id, openid: user.openid, unionid: user.unionid } },
  };
}

async function me(request) {
  const user = await findSession(request);
  return { body: user };
}

async function send(request) {
  const session = await findSession(request);
  const dto = await readJson(request);
  if (typeof dto !== 'object' || dto === null || Array.isArray(dto))
    throw new HttpError(400, 'VALIDATION_FAILED', 'body must be an object');
  if (typeof dto.templateId !== 'string' || dto.templateId.length === 0 || dto.templateId.length > 128)
    throw new HttpError(400, 'VALIDATION_FAILED', 'templateId');
  if (typeof dto.data !== 'object' || dto.data === null || Array.isArray(dto.data)) throw new HttpError(400, 'VALIDATION_FAILED', 'data');
  for (const entry of Object.values(dto.data)) {
    if (typeof entry !== 'object' || entry === null || typeof entry.value !== 'string')
      throw new HttpError(400, 'VALIDATION_FAILED', 'data values');
  }
  if (dto.openid !== undefined && dto.openid !== session.openid)
    throw new HttpError(403, 'RECIPIENT_FORBIDDEN', 'A user may only send messages to itself');
  const message = {
    touser: session.openid,
    template_id: dto.templateId,
    page: dto.page,
    data: dto.data,
    miniprogram_state: dto.miniprogramState,
    lang: dto.lang,
  };
  let token = await accessToken();
  let answer = await wechatCall('POST', `/cgi-bin/message/subscribe/send?access_token=${encodeURIComponent(token)}`, message);
  if (answer.errcode === 40001 || answer.errcode === 42001) {
    token = await fetchAccessToken();
    answer = await wechatCall('POST', `/cgi-bin/message/subscribe/send?access_token=${encodeURIComponent(token)}`, message);
  }
  const ok = answer.errcode === 0 || answer.errcode === undefined;
  const msgidText = ok && answer.msgid !== undefined && answer.msgid !== null ? String(answer.msgid) : null;
  await database.insertMessageLog({
    openId: session.openid,
    templateId: dto.templateId,
    page: dto.page ?? null,
    kind: 'subscribe',
    status: ok ? 'sent' : 'failed',
    errcode: ok ? 0 : answer.errcode,
    errmsg: ok ? 'ok' : String(answer.errmsg ?? '').slice(0, 512),
    msgid: msgidText,
    requestedBy: `user:${session.id}`,
  });
  if (!ok) {
    if (answer.errcode === 43101) throw new HttpError(409, 'WECHAT_NOT_SUBSCRIBED', 'The user has no subscription left for this template');
    throw new HttpError(422, 'WECHAT_INVALID_ARGUMENT', 'WeChat rejected the message', { errcode: answer.errcode });
  }
  const asNumber = msgidText === null ? null : Number(msgidText);
  return { body: { msgid: asNumber !== null && Number.isSafeInteger(asNumber) ? asNumber : msgidText } };
}

async function health() {
  const info = {};
  let ok = true;
  for (const [name, part] of [
    ['database', database],
    ['redis', store],
  ]) {
    try {
      await part.ping();
      info[name] = { status: 'up' };
    } catch (error) {
      ok = false;
      info[name] = { status: 'down', message: error.message };
    }
  }
  return { status: ok ? 200 : 503, body: { status: ok ? 'ok' : 'error', info, error: {}, details: info } };
}

const ROUTES = new Map([
  ['POST /auth/login', login],
  ['GET /users/me', me],
  ['POST /templates/send', send],
  ['GET /health', health],
]);

// ---------------------------------------------------------------------------------------------
// HTTP.

function readJson(request) {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks = [];
    request.on('data', (chunk) => {
      size += chunk.length;
      if (size > BODY_LIMIT) {
        reject(new HttpError(413, 'PAYLOAD_TOO_LARGE', 'Request body is too large'));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      try {
        resolve(size === 0 ? {} : JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new HttpError(400, 'INVALID_JSON', 'Request body is not valid JSON'));
      }
    });
    request.on('error', reject);
  });
}

function reply(response, status, body, headers) {
  const text = JSON.stringify(body);
  response.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

const server = http.createServer((request, response) => {
  const path = request.url.split('?', 1)[0];
  const handler = ROUTES.get(`${request.method} ${path}`);
  if (!handler) {
    reply(response, 404, { statusCode: 404, code: 'NOT_FOUND', message: `Cannot ${request.method} ${path}` });
    return;
  }
  handler(request).then(
    (result) => reply(response, result.status ?? 200, result.body, result.headers),
    (error) => {
      if (error instanceof HttpError) {
        reply(response, error.status, { statusCode: error.status, code: error.code, message: error.message, ...error.details });
      } else {
        console.error('bare-server: unhandled error', error);
        reply(response, 500, { statusCode: 500, code: 'INTERNAL_ERROR', message: 'Internal server error' });
      }
    },
  );
});

server.listen(PORT, '0.0.0.0', () => {
  console.log(`bare-server listening on ${PORT} (database: ${database.kind}, store: ${store.kind})`);
});

let closing = false;
function shutdown() {
  if (closing) return;
  closing = true;
  setTimeout(() => process.exit(1), 9000).unref();
  server.close(async () => {
    await Promise.allSettled([database.close(), store.close()]);
    await wechatPool.destroy();
    process.exit(0);
  });
  server.closeIdleConnections();
}
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
