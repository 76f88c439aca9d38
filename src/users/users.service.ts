import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { withDatabase } from '../database/database-unavailable.js';
import { User } from './user.entity.js';

@Injectable()
export class UsersService {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  /**
   * One row per openid however many logins race: the database's own upsert (ON DUPLICATE KEY
   * UPDATE / ON CONFLICT), never read-then-write. A unionid WeChat did not send is left as stored.
   */
  upsertFromWechat(openid: string, unionid: string | null): Promise<User> {
    return withDatabase(async () => {
      await this.users
        .createQueryBuilder()
        .insert()
        .values(unionid ? { openId: openid, unionId: unionid } : { openId: openid })
        .orUpdate(unionid ? ['union_id'] : ['open_id'], ['open_id'])
        // On a duplicate MySQL reports no insert id; there is nothing to copy back into an entity.
        .updateEntity(false)
        .execute();
      return this.users.findOneByOrFail({ openId: openid });
    });
  }

  findById(id: number): Promise<User | null> {
    return withDatabase(() => this.users.findOneBy({ id }));
  }

  findByOpenid(openid: string): Promise<User | null> {
    return withDatabase(() => this.users.findOneBy({ openId: openid }));
  }
}
