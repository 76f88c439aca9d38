import { ApiProperty } from '@nestjs/swagger';
import type { UserSnapshot } from '../auth/user-snapshot.js';

/** The user as the API shows it: to the user itself and to services only (it carries the phone number). */
export class UserView {
  @ApiProperty({ example: 1 }) id!: number;
  @ApiProperty({ example: 'oAbCd1234567890' }) openid!: string;
  @ApiProperty({ type: String, nullable: true }) unionid!: string | null;
  @ApiProperty({ type: String, nullable: true }) nickname!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'https://thirdwx.qlogo.cn/mmopen/vi_32/x/132' }) avatarUrl!: string | null;
  @ApiProperty({ type: String, nullable: true, description: "WeChat's phoneNumber (with the area code outside China)" })
  phoneNumber!: string | null;
  @ApiProperty({ type: String, nullable: true, example: '86' }) countryCode!: string | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;

  static of(user: UserSnapshot): UserView {
    return {
      id: user.id,
      openid: user.openid,
      unionid: user.unionid,
      nickname: user.nickname ?? null,
      avatarUrl: user.avatarUrl ?? null,
      phoneNumber: user.phoneNumber ?? null,
      countryCode: user.countryCode ?? null,
      createdAt: user.createdAt,
      updatedAt: user.updatedAt,
    };
  }
}
