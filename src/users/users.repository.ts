import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { withDatabase } from '../database/database-unavailable.js';
import { User } from './user.entity.js';

// The login and guarded-read hot paths use fixed SQL: TypeORM's query building costs more per
// request than the query itself (see bench/results.md). Both dialects accept ? and backticks.
const SQL = {
  mysql: {
    // TIMESTAMP columns come back in the session time zone; epoch seconds do not depend on it.
    columns: 'id, open_id, union_id, UNIX_TIMESTAMP(created_at) AS created_at, UNIX_TIMESTAMP(updated_at) AS updated_at',
    // Only after a SELECT found nobody: an upsert on every login would burn an AUTO_INCREMENT value
    // each time. A concurrent first login of the same openid makes this a no-op, not an error.
    insert: 'INSERT IGNORE INTO `user` (open_id, union_id) VALUES (?, ?)',
  },
  sqlite: {
    columns: 'id, open_id, union_id, created_at, updated_at',
    insert: 'INSERT INTO `user` (open_id, union_id) VALUES (?, ?) ON CONFLICT (open_id) DO NOTHING',
  },
};
const SET_UNION_ID = {
  mysql: 'UPDATE `user` SET union_id = ? WHERE id = ?',
  sqlite: "UPDATE `user` SET union_id = ?, updated_at = datetime('now') WHERE id = ?",
};

interface UserRow {
  id: number | string;
  open_id: string;
  union_id: string | null;
  created_at: number | string | null;
  updated_at: number | string | null;
}

/** The `user` table. */
@Injectable()
export class UsersRepository {
  private readonly dialect: 'mysql' | 'sqlite';

  constructor(@InjectRepository(User) private readonly users: Repository<User>) {
    this.dialect = users.manager.connection.options.type === 'mysql' ? 'mysql' : 'sqlite';
  }

  /**
   * One row per openid however many logins race: a repeat login is one SELECT; a first one inserts
   * only where the unique open_id is still free (the database decides, never read-then-write), then
   * reads the row whoever inserted it. A unionid WeChat did not send leaves the stored one.
   */
  upsertFromWechat(openid: string, unionid: string | null): Promise<User> {
    return withDatabase(async () => {
      let user = await this.selectOne('open_id', openid);
      if (!user) {
        await this.users.query(SQL[this.dialect].insert, [openid, unionid]);
        user = await this.selectOne('open_id', openid);
        if (!user) throw new Error(`user ${openid} missing right after its insert`);
      }
      if (unionid && user.unionId !== unionid) {
        await this.users.query(SET_UNION_ID[this.dialect], [unionid, user.id]);
        user = (await this.selectOne('id', user.id)) ?? user;
      }
      return user;
    });
  }

  findById(id: number): Promise<User | null> {
    return withDatabase(() => this.selectOne('id', id));
  }

  private async selectOne(column: 'id' | 'open_id', value: number | string): Promise<User | null> {
    const rows: UserRow[] = await this.users.query(`SELECT ${SQL[this.dialect].columns} FROM \`user\` WHERE ${column} = ?`, [value]);
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

/** MySQL: epoch seconds (a number, or a decimal string); SQLite: 'YYYY-MM-DD HH:MM:SS' text in UTC. */
function toDate(value: number | string | null): Date {
  if (value === null) return new Date(0);
  if (typeof value === 'number' || /^\d+(\.\d+)?$/.test(value)) return new Date(Number(value) * 1000);
  return new Date(value.includes('T') ? value : `${value.replace(' ', 'T')}Z`);
}
