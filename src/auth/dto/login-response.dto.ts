import { ApiProperty } from '@nestjs/swagger';

export class LoginUserView {
  @ApiProperty() id!: number;
  @ApiProperty() openid!: string;
  @ApiProperty({ type: String, nullable: true }) unionid!: string | null;
}

export class LoginResponseDto {
  @ApiProperty({ description: 'Session token; also sent in the Authorization response header' }) token!: string;
  @ApiProperty({ description: 'Seconds until the session expires' }) expiresIn!: number;
  @ApiProperty({ type: LoginUserView }) user!: LoginUserView;
}
