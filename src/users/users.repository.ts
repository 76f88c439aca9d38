import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { Clock } from '../common/clock.js';
import { withDatabase } from '../database/database-unavailable.js';
import { type DirectQuery, directQuery } from '../database/direct-query.js';
import { User } from './user.entity.js';

// The login and guarded-read hot paths use fixed SQL: TypeORM's query building costs more per
// request than the query itself (see bench/results.md). Both dialects accept ? and backticks.
const PROFILE_COLUMNS = 'nickname, avatar_url, phone_number, pure_phone_number, country_code';
const SQL = {
  mysql: {
    // TIMESTAMP columns come back in the session time zone; epoch seconds do not depend on it.
    columns: `id, open_id, union_id, ${PROFILE_COLUMNS}, UNIX_TIMESTAMP(created_at) AS created_at, UNIX_TIMESTAMP(updated_at) AS updated_at`,
    // Only after a SELECT found nobody: an upsert on every login would burn an AUTO_INCREMENT value
    // each time. A concurrent first login of the same openid makes this a no-op, not an error.
    insert: 'INSERT IGNORE INTO `user` (open_id, union_id) VALUES (?, ?)',
    // The same, stamped with the given epoch second, so that a row it did insert is known in full
    // without reading it back (a first login is one statement).
    insertStamped:
      'INSERT IGNORE INTO `user` (open_id, union_id, created_at, updated_at) VALUES (?, ?, FROM_UNIXTIME(?), FROM_UNIXTIME(?))',
  },
  sqlite: {
    columns: `id, open_id, union_id, ${PROFILE_COLUMNS}, created_at, updated_at`,
    insert: 'INSERT INTO `user` (open_id, union_id) VALUES (?, ?) ON CONFLICT (open_id) DO NOTHING',
  },
};
const SET_UNION_ID = {
  mysql: 'UPDATE `user` SET union_id = ? WHERE id = ?',
  sqlite: "UPDATE `user` SET union_id = ?, updated_at = datetime('now') WHERE id = ?",
};
// MySQL stamps updated_at itself (ON UPDATE CURRENT_TIMESTAMP); SQLite is told to.
const TOUCH = { mysql: '', sqlite: ", updated_at = datetime('now')" };

/** The profile fields a user may change, and their columns. */
export interface ProfileChanges {
  nickname?: string;
  avatarUrl?: string | null;
}
const PROFILE_COLUMN: Record<keyof ProfileChanges, string> = { nickname: 'nickname', avatarUrl: 'avatar_url' };

export interface PhoneNumber {
  phoneNumber: string;
  purePhoneNumber: string;
  countryCode: string;
}

interface UserRow {
  id: number | string;
  open_id: string;
  union_id: string | null;
  nickname: string | null;
  avatar_url: string | null;
  phone_number: string | null;
  pure_phone_number: string | null;
  country_code: string | null;
  created_at: number | string | null;
  updated_at: number | string | null;
}

/** What MySQL answers an INSERT with. */
interface InsertResult {
  affectedRows: number;
  insertId: number | string;
}

/** The `user` table. */
@Injectable()
export class UsersRepository {
  private readonly dialect: 'mysql' | 'sqlite';
  private readonly query: DirectQuery;

  constructor(
    @InjectRepository(User) users: Repository<User>,
    private readonly clock: Clock,
  ) {
    this.dialect = users.manager.connection.options.type === 'mysql' ? 'mysql' : 'sqlite';
    this.query = directQuery(users.manager.connection);
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
        await this.query(SQL[this.dialect].insert, [openid, unionid]);
        user = await this.selectOne('open_id', openid);
        if (!user) throw new Error(`user ${openid} missing right after its insert`);
      }
      if (unionid && user.unionId !== unionid) {
        await this.query(SET_UNION_ID[this.dialect], [unionid, user.id]);
        user = (await this.selectOne('id', user.id)) ?? user;
      }
      return user;
    });
  }

  /**
   * For an openid the session store knows no user of, which is nearly always a first login: insert
   * where the unique open_id is still free (the database decides under any concurrency). On MySQL
   * the row this statement inserted is known without reading it (its id, the stamped second, no
   * profile yet): one statement. Otherwise the row whoever inserted it is read. For an openid that
   * had a row after all, MySQL spends an AUTO_INCREMENT value on the ignored insert.
   */
  insertOrFindFromWechat(openid: string, unionid: string | null): Promise<User> {
    return withDatabase(async () => {
      if (this.dialect === 'mysql') {
        const second = Math.floor(this.clock.now() / 1000);
        const inserted = await this.query<InsertResult>(SQL.mysql.insertStamped, [openid, unionid, second, second]);
        if (inserted.affectedRows === 1) return toUser(insertedRow(inserted.insertId, openid, unionid, second));
      } else {
        await this.query(SQL.sqlite.insert, [openid, unionid]);
      }
      const user = await this.selectOne('open_id', openid);
      if (!user) throw new Error(`user ${openid} missing right after its insert`);
      if (!unionid || user.unionId === unionid) return user;
      await this.query(SET_UNION_ID[this.dialect], [unionid, user.id]);
      return (await this.selectOne('id', user.id)) ?? user;
    });
  }

  findById(id: number): Promise<User | null> {
    return withDatabase(() => this.selectOne('id', id));
  }

  findByOpenid(openid: string): Promise<User | null> {
    return withDatabase(() => this.selectOne('open_id', openid));
  }

  /** Writes the given fields only; null when the user no longer exists. */
  updateProfile(id: number, changes: ProfileChanges): Promise<User | null> {
    const fields = (Object.keys(PROFILE_COLUMN) as Array<keyof ProfileChanges>).filter((field) => changes[field] !== undefined);
    if (fields.length === 0) return this.findById(id);
    const assignments = fields.map((field) => `${PROFILE_COLUMN[field]} = ?`).join(', ');
    return this.updateAndRead(
      `UPDATE \`user\` SET ${assignments}${TOUCH[this.dialect]} WHERE id = ?`,
      [...fields.map((field) => changes[field] ?? null), id],
      id,
    );
  }

  /** Stores the phone number WeChat gave for the user; null when the user no longer exists. */
  setPhoneNumber(id: number, phone: PhoneNumber): Promise<User | null> {
    return this.updateAndRead(
      `UPDATE \`user\` SET phone_number = ?, pure_phone_number = ?, country_code = ?${TOUCH[this.dialect]} WHERE id = ?`,
      [phone.phoneNumber, phone.purePhoneNumber, phone.countryCode, id],
      id,
    );
  }

  /** Deletes the row and with it every personal field; a row already gone is not an error. */
  delete(id: number): Promise<void> {
    return withDatabase(async () => {
      await this.query('DELETE FROM `user` WHERE id = ?', [id]);
    });
  }

  private updateAndRead(sql: string, parameters: unknown[], id: number): Promise<User | null> {
    return withDatabase(async () => {
      await this.query(sql, parameters);
      return this.selectOne('id', id);
    });
  }

  private async selectOne(column: 'id' | 'open_id', value: number | string): Promise<User | null> {
    const rows = await this.query<UserRow[]>(`SELECT ${SQL[this.dialect].columns} FROM \`user\` WHERE ${column} = ?`, [value]);
    return rows.length > 0 ? toUser(rows[0]) : null;
  }
}

/** The row a stamped insert wrote, as a SELECT would read it: no profile yet. */
function insertedRow(id: number | string, openid: string, unionid: string | null, second: number): UserRow {
  const none = { nickname: null, avatar_url: null, phone_number: null, pure_phone_number: null, country_code: null };
  return { id, open_id: openid, union_id: unionid, ...none, created_at: second, updated_at: second };
}

function toUser(row: UserRow): User {
  return Object.assign(new User(), {
    id: Number(row.id),
    openId: row.open_id,
    unionId: row.union_id,
    nickname: row.nickname ?? null,
    avatarUrl: row.avatar_url ?? null,
    phoneNumber: row.phone_number ?? null,
    purePhoneNumber: row.pure_phone_number ?? null,
    countryCode: row.country_code ?? null,
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
