import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { withDatabase } from '../database/database-unavailable.js';
import { User } from './user.entity.js';

const COLUMNS = 'id, open_id, union_id, created_at, updated_at';

// The login and guarded-read hot paths use fixed SQL: TypeORM's query building costs more per
// request than the query itself (see bench/results.md). Both dialects accept ? and backticks.
const UPSERT = {
  // A unionid WeChat did not send (NULL) leaves the stored one; updated_at moves only on a change.
  mysql: 'INSERT INTO `user` (open_id, union_id) VALUES (?, ?) ON DUPLICATE KEY UPDATE union_id = COALESCE(VALUES(union_id), union_id)',
  sqlite:
    'INSERT INTO `user` (open_id, union_id) VALUES (?, ?) ON CONFLICT (open_id) DO UPDATE SET ' +
    "updated_at = CASE WHEN excluded.union_id IS NOT NULL AND excluded.union_id IS NOT union_id THEN datetime('now') ELSE updated_at END, " +
    'union_id = COALESCE(excluded.union_id, union_id)',
};

interface UserRow {
  id: number | string;
  open_id: string;
  union_id: string | null;
  created_at: Date | string | null;
  updated_at: Date | string | null;
}

@Injectable()
export class UsersService {
  private readonly upsertSql: string;

  constructor(@InjectRepository(User) private readonly users: Repository<User>) {
    this.upsertSql = users.manager.connection.options.type === 'mysql' ? UPSERT.mysql : UPSERT.sqlite;
  }

  /**
   * One row per openid however many logins race: the database's own upsert (ON DUPLICATE KEY
   * UPDATE / ON CONFLICT), never read-then-write.
   */
  upsertFromWechat(openid: string, unionid: string | null): Promise<User> {
    return withDatabase(async () => {
      await this.users.query(this.upsertSql, [openid, unionid]);
      const user = await this.selectOne('open_id', openid);
      if (!user) throw new Error(`user ${openid} missing right after its upsert`);
      return user;
    });
  }

  findById(id: number): Promise<User | null> {
    return withDatabase(() => this.selectOne('id', id));
  }

  private async selectOne(column: 'id' | 'open_id', value: number | string): Promise<User | null> {
    const rows: UserRow[] = await this.users.query(`SELECT ${COLUMNS} FROM \`user\` WHERE ${column} = ?`, [value]);
    return rows.length > 0 ? toUser(rows[0]) : null;
  }
}

function toUser(row: UserRow): User {
  return Object.assign(new User(), {
    id: Number(row.id),
    openId: row.open_id,
    unionId: row.union_id,
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  });
}

/** mysql2 hands back Dates; SQLite hands back 'YYYY-MM-DD HH:MM:SS[.SSS]' text in UTC. */
function toDate(value: Date | string | null): Date {
  if (value instanceof Date) return value;
  if (!value) return new Date(0);
  return new Date(value.includes('T') ? value : `${value.replace(' ', 'T')}Z`);
}
