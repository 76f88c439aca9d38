import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import type { DatabaseConfig } from '../config/app-config.js';
import { Subscription } from '../push/subscription.entity.js';
import { Batch } from '../templates/batches/batch.entity.js';
import { BatchRecipient } from '../templates/batches/batch-recipient.entity.js';
import { MessageLog } from '../templates/message-log.entity.js';
import { User } from '../users/user.entity.js';
import { UserTable1764000000000 } from './migrations/1764000000000-user-table.js';
import { MessageLogTable1764000000001 } from './migrations/1764000000001-message-log-table.js';
import { UserProfileColumns1764000000200 } from './migrations/1764000000200-user-profile-columns.js';
import { SubscriptionAndDelivery1764000000300 } from './migrations/1764000000300-subscription-and-delivery.js';
import { Batches1764000000400 } from './migrations/1764000000400-batches.js';
import { WechatIdsBinary1764000000100 } from './migrations/1764000000100-wechat-ids-binary.js';
import { MessageLogEntryKey1764000000101 } from './migrations/1764000000101-message-log-entry-key.js';

export const ENTITIES = [User, MessageLog, Subscription, Batch, BatchRecipient];
export const MIGRATIONS = [
  UserTable1764000000000,
  MessageLogTable1764000000001,
  WechatIdsBinary1764000000100,
  MessageLogEntryKey1764000000101,
  UserProfileColumns1764000000200,
  SubscriptionAndDelivery1764000000300,
  Batches1764000000400,
];

/**
 * One description of the database for the app and the migration CLI (ormconfig.ts).
 * MySQL/MariaDB: schema by migrations only. SQLite (embedded default): the app creates it.
 */
export function buildDataSourceOptions(database: DatabaseConfig): DataSourceOptions {
  if (database.type === 'mysql') {
    return {
      type: 'mysql',
      url: database.url,
      entities: ENTITIES,
      migrations: MIGRATIONS,
      migrationsRun: database.migrate,
      synchronize: false,
      timezone: 'Z',
      charset: 'utf8mb4',
      // A paused server accepts TCP but never finishes the handshake: a new connection gives up
      // within the query deadline, and requests waiting for a pooled one are bounded in number
      // (beyond it they fail at once with a 503; withDatabase bounds how long the others wait).
      connectTimeout: database.queryTimeoutMs ?? 2000,
      poolSize: 20,
      // trace: false — mysql2 would otherwise capture a stack trace on every query (about 2% of the CPU of a
      // login or a send); a failing query is still logged with its SQL error by the exception filter.
      // maxPreparedStatements: nothing here prepares statements (query, never execute), yet mysql2's
      // default cache of 16,000 allocates 0.5 MB of arrays per connection up front (10 MB for the pool),
      // which every full garbage collection then walks.
      extra: { enableKeepAlive: true, trace: false, queueLimit: 200, maxPreparedStatements: 32 },
    };
  }
  if (database.url !== ':memory:') mkdirSync(dirname(database.url), { recursive: true });
  return {
    type: 'better-sqlite3',
    database: database.url,
    entities: ENTITIES,
    synchronize: true,
    enableWAL: database.url !== ':memory:',
  };
}
