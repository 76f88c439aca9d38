import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';

export class FindUserQuery {
  @ApiProperty({ example: 'oAbCd1234567890' })
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'openid must be 1-64 letters, digits, _ or -' })
  openid!: string;
}

export class UserIdParams {
  @ApiProperty({ example: 1 })
  @Matches(/^[1-9]\d{0,9}$/, { message: 'id must be a positive integer' })
  id!: string;
}
