import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readEnvironment } from './environment.js';
import { ConfigValidationError, KNOWN_VARIABLES, validateEnvironment } from './env.validation.js';

describe('validateEnvironment', () => {
  it('applies every default of the contract to an empty environment', () => {
    const config = validateEnvironment({});
    expect(config.http).toEqual({ port: 3000, adapter: 'express', bodyLimitBytes: 65536, trustProxy: false });
    expect(config.database).toEqual({ type: 'sqlite', url: 'data/app.sqlite', migrate: true, queryTimeoutMs: 2000 });
    expect(config.redis).toEqual({ url: null, clusterNodes: null, commandTimeoutMs: 1000 });
    expect(config.wechat).toEqual({
      mode: 'sandbox',
      appId: null,
      appSecret: null,
      apiBaseUrl: 'https://api.weixin.qq.com',
      tokenMode: 'stable',
      timeoutMs: 5000,
      refreshMarginSeconds: 600,
    });
    expect(config.auth.sessionTtlSeconds).toBe(604800);
    expect(config.auth.sessionMaxPerUser).toBe(10);
    expect(config.auth.serviceTokens.size).toBe(0);
    expect(config.throttle.loginLimit).toBe(60);
    expect(config.log).toEqual({ level: 'info', format: null });
  });

  it('reads MySQL, SQLite, Redis and service tokens', () => {
    const config = validateEnvironment({
      DATABASE_URL: 'mysql://root@127.0.0.1:3306/app',
      REDIS_URL: 'redis://127.0.0.1:6379/0',
      SERVICE_TOKENS: `billing=${'a'.repeat(32)}, crm=${'b'.repeat(40)}`,
      HTTP_ADAPTER: 'fastify',
      WECHAT_APP_ID: 'wx123',
      WECHAT_APP_SECRET: 'secret',
      WECHAT_TOKEN_MODE: 'classic',
      DB_MIGRATE: 'false',
    });
    expect(config.database).toEqual({ type: 'mysql', url: 'mysql://root@127.0.0.1:3306/app', migrate: false, queryTimeoutMs: 2000 });
    expect(config.wechat.mode).toBe('live');
    expect(config.redis.url).toBe('redis://127.0.0.1:6379/0');
    expect([...config.auth.serviceTokens.keys()]).toEqual(['billing', 'crm']);
    expect(config.http.adapter).toBe('fastify');
    expect(config.wechat.tokenMode).toBe('classic');
    expect(validateEnvironment({ DATABASE_URL: 'sqlite::memory:' }).database.url).toBe(':memory:');
    expect(validateEnvironment({ TRUST_PROXY: '1' }).http.trustProxy).toBe(1);
    expect(validateEnvironment({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).http.trustProxy).toBe('10.0.0.0/8,127.0.0.1');
    expect(validateEnvironment({ DATABASE_URL: 'sqlite:/tmp/x.db' }).database.url).toBe('/tmp/x.db');
    expect(validateEnvironment({ LOG_FORMAT: 'pretty' }).log.format).toBe('pretty');
    expect(validateEnvironment({ LOG_FORMAT: 'json' }).log.format).toBe('json');
  });

  it.each([
    ['DATABASE_URL', { DATABASE_URL: 'postgres://u:p@localhost/db' }],
    ['SESSION_TTL_SECONDS', { SESSION_TTL_SECONDS: '-1' }],
    ['SESSION_TTL_SECONDS', { SESSION_TTL_SECONDS: 'week' }],
    ['SESSION_MAX_PER_USER', { SESSION_MAX_PER_USER: '0' }],
    ['SERVICE_TOKENS', { SERVICE_TOKENS: 'billing=short-token' }],
    ['SERVICE_TOKENS', { SERVICE_TOKENS: 'no-equals-sign' }],
    ['PORT', { PORT: '70000' }],
    ['HTTP_ADAPTER', { HTTP_ADAPTER: 'koa' }],
    ['REDIS_URL', { REDIS_URL: 'localhost:6379' }],
    ['WECHAT_TOKEN_MODE', { WECHAT_TOKEN_MODE: 'fast' }],
    ['LOG_FORMAT', { LOG_FORMAT: 'xml' }],
    ['WECHAT_TIMEOUT_MS', { WECHAT_TIMEOUT_MS: '0' }],
    ['WECHAT_API_BASE_URL', { WECHAT_API_BASE_URL: 'ftp://example.com' }],
    ['THROTTLE_LOGIN_LIMIT', { THROTTLE_LOGIN_LIMIT: '-5' }],
    ['WECHAT_APP_SECRET', { WECHAT_APP_ID: 'wx1' }],
    ['DB_MIGRATE', { DB_MIGRATE: 'yes' }],
    ['TRUST_PROXY', { TRUST_PROXY: 'everyone' }],
    ['REDIS_COMMAND_TIMEOUT_MS', { REDIS_COMMAND_TIMEOUT_MS: 'soon' }],
    ['REDIS_COMMAND_TIMEOUT_MS', { REDIS_COMMAND_TIMEOUT_MS: '0' }],
    ['DB_QUERY_TIMEOUT_MS', { DB_QUERY_TIMEOUT_MS: '-1' }],
    ['WECHAT_SANDBOX', { WECHAT_SANDBOX: 'yes' }],
    ['WECHAT_APP_ID', { DATABASE_URL: 'mysql://root@127.0.0.1:3306/app' }],
    ['WECHAT_APP_ID', { REDIS_URL: 'redis://127.0.0.1:6379/0' }],
    ['WECHAT_APP_ID', { REDIS_CLUSTER_NODES: '127.0.0.1:7000,127.0.0.1:7001' }],
    ['WECHAT_APP_ID', { WECHAT_SANDBOX: 'false' }],
    ['WECHAT_APP_ID', { WECHAT_SANDBOX: 'true', WECHAT_APP_ID: 'wx1', WECHAT_APP_SECRET: 's' }],
  ])('rejects a bad %s with one line naming it', (variable, env) => {
    let error: unknown;
    try {
      validateEnvironment(env);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigValidationError);
    const message = (error as Error).message;
    expect(message).toContain(variable);
    expect(message).not.toContain('\n');
  });

  it('runs the sandbox only on embedded defaults or when WECHAT_SANDBOX=true says so', () => {
    expect(validateEnvironment({}).wechat.mode).toBe('sandbox');
    expect(validateEnvironment({ DATABASE_URL: 'sqlite::memory:' }).wechat.mode).toBe('sandbox');
    const explicit = validateEnvironment({
      WECHAT_SANDBOX: 'true',
      DATABASE_URL: 'mysql://root@127.0.0.1:3306/app',
      REDIS_URL: 'redis://127.0.0.1:6379/0',
    });
    expect(explicit.wechat).toMatchObject({ mode: 'sandbox', appId: null, appSecret: null });
    const live = validateEnvironment({ WECHAT_APP_ID: 'wx1', WECHAT_APP_SECRET: 's', REDIS_URL: 'redis://127.0.0.1:6379/0' });
    expect(live.wechat).toMatchObject({ mode: 'live', appId: 'wx1', appSecret: 's' });
  });

  it('reads the Redis and database deadlines', () => {
    const config = validateEnvironment({ REDIS_COMMAND_TIMEOUT_MS: '250', DB_QUERY_TIMEOUT_MS: '1500' });
    expect(config.redis.commandTimeoutMs).toBe(250);
    expect(config.database.queryTimeoutMs).toBe(1500);
  });
});

describe('the variables the app knows', () => {
  it('are exactly the ones the README configuration table documents', () => {
    const readme = readFileSync(join(process.cwd(), 'README.md'), 'utf8');
    const section = readme.split(/^## /m).find((part) => part.startsWith('Configuration\n')) ?? '';
    const documented = section
      .split('\n')
      .filter((line) => line.startsWith('| `'))
      .flatMap((line) => [...line.split('|')[1].matchAll(/`([A-Z0-9_]+)`/g)].map((m) => m[1]));
    expect([...documented].sort()).toEqual([...KNOWN_VARIABLES].sort());
  });

  it('does not validate variables it does not use', () => {
    expect(() => validateEnvironment({ NODE_ENV: '', UNRELATED: 'anything', PATH: '' })).not.toThrow();
  });
});

describe('readEnvironment', () => {
  it('reads .env under the process environment, which wins', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'env-')), '.env');
    writeFileSync(file, 'PORT=4000\nLOG_LEVEL=debug\n');
    const env = readEnvironment({ LOG_LEVEL: 'warn' }, file);
    expect(validateEnvironment(env)).toMatchObject({ http: { port: 4000 }, log: { level: 'warn' } });
    expect(readEnvironment({ PORT: '1' }, join(tmpdir(), 'no-such-dir', '.env'))).toEqual({ PORT: '1' });
  });
});
