import { ApiProperty } from '@nestjs/swagger';
import type { User } from './user.entity.js';

export class UserView {
  @ApiProperty({ example: 1 }) id!: number;
  @ApiProperty({ example: 'oAbCd1234567890' }) openid!: string;
  @ApiProperty({ type: String, nullable: true }) unionid!: string | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;

  static of(user: User): UserView {
    return {
      id: user.id,
      openid: user.openId,
      unionid: user.unionId,
      createdAt: new Date(user.createdAt).toISOString(),
      updatedAt: new Date(user.updatedAt).toISOString(),
    };
  }
}
