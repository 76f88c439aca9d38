import { plainToInstance, Transform } from 'class-transformer';
import { getMetadataStorage, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, validateSync } from 'class-validator';
import type { AppConfig } from './app-config.js';

const toInt = ({ value }: { value: unknown }) => (typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value);
const emptyToUndefined = ({ value }: { value: unknown }) => (value === '' ? undefined : value);

/** The environment as operators write it; every variable of the API contract, with its default. */
class EnvironmentVariables {
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @Transform(emptyToUndefined)
  @IsIn(['express', 'fastify'])
  HTTP_ADAPTER = 'express';

  /** Who may set X-Forwarded-For (the client IP the login throttle counts): nobody by default. */
  @Transform(emptyToUndefined)
  @Matches(/^(false|true|\d{1,2}|[0-9a-fA-F:./]+(\s*,\s*[0-9a-fA-F:./]+)*)$/, {
    message: 'TRUST_PROXY must be false, true, a hop count, or a comma list of proxy addresses/CIDRs',
  })
  TRUST_PROXY = 'false';

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @Matches(/^(mysql|mariadb):\/\/[^/\s]+\/[^/\s?]+(\?.*)?$|^sqlite:.+$/, {
    message: 'DATABASE_URL must be mysql://user:pass@host:3306/db, sqlite:<path> or sqlite::memory:',
  })
  DATABASE_URL?: string;

  @Transform(emptyToUndefined)
  @IsIn(['true', 'false'])
  DB_MIGRATE = 'true';

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^rediss?:\/\/\S+$/, { message: 'REDIS_URL must be redis://host:6379/0 (or rediss://)' })
  REDIS_URL?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^\s*[^\s:,]+:\d{1,5}\s*(,\s*[^\s:,]+:\d{1,5}\s*)*$/, { message: 'REDIS_CLUSTER_NODES must be host:port,host:port,…' })
  REDIS_CLUSTER_NODES?: string;

  /** Batch sends per second across all instances; 0 turns the limiter off. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(100_000)
  PUSH_RATE_PER_SECOND = 500;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(20)
  PUSH_MAX_ATTEMPTS = 5;

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^\S+$/, { message: 'WECHAT_APP_ID must not contain spaces' })
  WECHAT_APP_ID?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  WECHAT_APP_SECRET?: string;

  /** Runs the built-in fake WeChat on purpose, also with MySQL or Redis configured. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsIn(['true', 'false'])
  WECHAT_SANDBOX?: string;

  @Transform(emptyToUndefined)
  @Matches(/^https?:\/\/[^\s/]+(\/\S*)?$/, { message: 'WECHAT_API_BASE_URL must be an http(s) URL' })
  WECHAT_API_BASE_URL = 'https://api.weixin.qq.com';

  @Transform(emptyToUndefined)
  @IsIn(['stable', 'classic'])
  WECHAT_TOKEN_MODE = 'stable';

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(120000)
  WECHAT_TIMEOUT_MS = 5000;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(7000)
  WECHAT_TOKEN_REFRESH_MARGIN_SECONDS = 600;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  THROTTLE_LOGIN_LIMIT = 60;

  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(60_000)
  REDIS_COMMAND_TIMEOUT_MS = 1000;

  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(600_000)
  DB_QUERY_TIMEOUT_MS = 2000;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(365 * 24 * 3600)
  SESSION_TTL_SECONDS = 604800;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  SESSION_MAX_PER_USER = 10;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  SERVICE_TOKENS?: string;

  /** The message-push Token of the MP console; without it /wechat/push answers 404. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^[A-Za-z0-9]{3,32}$/, { message: 'WECHAT_PUSH_TOKEN must be 3-32 letters or digits' })
  WECHAT_PUSH_TOKEN?: string;

  /** The console's EncodingAESKey (compatible and safe mode). */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^[A-Za-z0-9+/]{43}$/, { message: 'WECHAT_PUSH_AES_KEY must be the 43-character EncodingAESKey' })
  WECHAT_PUSH_AES_KEY?: string;

  @Transform(emptyToUndefined)
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  /** Unset: human-readable (pino-pretty) when stdout is a terminal, JSON lines otherwise. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsIn(['json', 'pretty'])
  LOG_FORMAT?: string;
}

export class ConfigValidationError extends Error {
  override name = 'ConfigValidationError';
}

/**
 * Validates the raw environment and returns the typed configuration.
 * Throws ConfigValidationError whose message is one line naming the offending variable.
 */
export function validateEnvironment(raw: Record<string, string | undefined>): AppConfig {
  return validate(raw, true);
}

/** For the migration tools, which touch only the database: no WeChat credentials needed. */
export function validateDatabaseEnvironment(raw: Record<string, string | undefined>): AppConfig['database'] {
  return validate(raw, false).database;
}

function validate(raw: Record<string, string | undefined>, forTheApp: boolean): AppConfig {
  const env = plainToInstance(EnvironmentVariables, pickKnown(raw));
  const errors = validateSync(env, { skipMissingProperties: false });
  if (errors.length > 0) {
    const first = errors[0];
    const reason = Object.values(first.constraints ?? {})[0] ?? 'is invalid';
    const text = reason.startsWith(first.property) ? reason : `${first.property} ${reason}`;
    throw new ConfigValidationError(`Invalid configuration: ${text}`);
  }
  if (env.WECHAT_PUSH_AES_KEY && !env.WECHAT_PUSH_TOKEN) {
    throw new ConfigValidationError('Invalid configuration: WECHAT_PUSH_TOKEN is required when WECHAT_PUSH_AES_KEY is set');
  }
  if (env.WECHAT_APP_ID && !env.WECHAT_APP_SECRET) {
    throw new ConfigValidationError('Invalid configuration: WECHAT_APP_SECRET is required when WECHAT_APP_ID is set');
  }
  const database = parseDatabaseUrl(env.DATABASE_URL);
  const wechatMode = forTheApp
    ? resolveWechatMode(env, database.type === 'mysql' || env.REDIS_URL !== undefined || env.REDIS_CLUSTER_NODES !== undefined)
    : 'live';
  return {
    http: {
      port: env.PORT,
      adapter: env.HTTP_ADAPTER as AppConfig['http']['adapter'],
      bodyLimitBytes: 64 * 1024,
      trustProxy: parseTrustProxy(env.TRUST_PROXY),
    },
    database: { ...database, migrate: env.DB_MIGRATE === 'true', queryTimeoutMs: env.DB_QUERY_TIMEOUT_MS },
    redis: {
      url: env.REDIS_URL ?? null,
      clusterNodes: parseClusterNodes(env.REDIS_CLUSTER_NODES),
      commandTimeoutMs: env.REDIS_COMMAND_TIMEOUT_MS,
    },
    wechat: {
      mode: wechatMode,
      appId: wechatMode === 'live' ? (env.WECHAT_APP_ID ?? null) : null,
      appSecret: wechatMode === 'live' ? (env.WECHAT_APP_SECRET ?? null) : null,
      apiBaseUrl: env.WECHAT_API_BASE_URL.replace(/\/+$/, ''),
      tokenMode: env.WECHAT_TOKEN_MODE as AppConfig['wechat']['tokenMode'],
      timeoutMs: env.WECHAT_TIMEOUT_MS,
      refreshMarginSeconds: env.WECHAT_TOKEN_REFRESH_MARGIN_SECONDS,
    },
    auth: {
      sessionTtlSeconds: env.SESSION_TTL_SECONDS,
      sessionMaxPerUser: env.SESSION_MAX_PER_USER,
      serviceTokens: parseServiceTokens(env.SERVICE_TOKENS),
    },
    throttle: { loginLimit: env.THROTTLE_LOGIN_LIMIT },
    push: { token: env.WECHAT_PUSH_TOKEN ?? null, aesKey: env.WECHAT_PUSH_AES_KEY ?? null },
    log: { level: env.LOG_LEVEL, format: (env.LOG_FORMAT as AppConfig['log']['format']) ?? null },
    batch: { ratePerSecond: env.PUSH_RATE_PER_SECOND, maxAttempts: env.PUSH_MAX_ATTEMPTS },
  };
}

/** Every variable the app reads: derived from the schema above, so a new variable is one new property. */
export const KNOWN_VARIABLES: readonly string[] = [
  ...new Set(
    getMetadataStorage()
      .getTargetValidationMetadatas(EnvironmentVariables, '', true, false)
      .map((m) => m.propertyName),
  ),
];

/**
 * The built-in fake WeChat accepts any login code, so it must never be what a deployment gets by
 * forgetting WECHAT_APP_ID: only the embedded defaults (a fresh `npm start`) or an explicit
 * WECHAT_SANDBOX=true run it.
 */
function resolveWechatMode(env: EnvironmentVariables, sharedServices: boolean): AppConfig['wechat']['mode'] {
  if (env.WECHAT_SANDBOX === 'true') {
    if (env.WECHAT_APP_ID) {
      throw new ConfigValidationError(
        'Invalid configuration: WECHAT_APP_ID must not be set with WECHAT_SANDBOX=true (the sandbox uses a built-in fake WeChat)',
      );
    }
    return 'sandbox';
  }
  if (env.WECHAT_APP_ID) return 'live';
  if (sharedServices || env.WECHAT_SANDBOX === 'false') {
    throw new ConfigValidationError(
      'Invalid configuration: WECHAT_APP_ID is required with a MySQL DATABASE_URL, REDIS_URL or REDIS_CLUSTER_NODES (set WECHAT_SANDBOX=true to run the built-in fake WeChat on purpose)',
    );
  }
  return 'sandbox';
}

function pickKnown(raw: Record<string, string | undefined>): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const key of KNOWN_VARIABLES) {
    const value = raw[key];
    if (value !== undefined) picked[key] = value;
  }
  return picked;
}

function parseDatabaseUrl(url: string | undefined): Pick<AppConfig['database'], 'type' | 'url'> {
  if (!url) return { type: 'sqlite', url: 'data/app.sqlite' };
  if (url.startsWith('sqlite:')) return { type: 'sqlite', url: url.slice('sqlite:'.length) };
  return { type: 'mysql', url: url.replace(/^mariadb:/, 'mysql:') };
}

function parseServiceTokens(value: string | undefined): Map<string, string> {
  const tokens = new Map<string, string>();
  if (!value) return tokens;
  for (const pair of value
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const eq = pair.indexOf('=');
    const name = eq > 0 ? pair.slice(0, eq).trim() : '';
    const token = eq > 0 ? pair.slice(eq + 1).trim() : '';
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name) || !token) {
      throw new ConfigValidationError('Invalid configuration: SERVICE_TOKENS must be comma-separated name=token pairs');
    }
    if (token.length < 32) {
      throw new ConfigValidationError(`Invalid configuration: SERVICE_TOKENS token for "${name}" must be at least 32 characters`);
    }
    if (tokens.has(name) || [...tokens.values()].includes(token)) {
      throw new ConfigValidationError(`Invalid configuration: SERVICE_TOKENS has a duplicate name or token ("${name}")`);
    }
    tokens.set(name, token);
  }
  return tokens;
}

function parseTrustProxy(value: string): AppConfig['http']['trustProxy'] {
  if (value === 'true' || value === 'false') return value === 'true';
  if (/^\d+$/.test(value)) return Number(value);
  return value
    .split(',')
    .map((part) => part.trim())
    .join(',');
}

function parseClusterNodes(value: string | undefined): AppConfig['redis']['clusterNodes'] {
  if (!value) return null;
  return value.split(',').map((part) => {
    const [host, port] = part.trim().split(':');
    return { host, port: Number(port) };
  });
}
