import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsObject, IsOptional, Matches } from 'class-validator';

export class SandboxPhoneCodeDto {
  @ApiPropertyOptional({ example: '13800138000', description: 'Default 13800138000' })
  @IsOptional()
  @Matches(/^\d{5,15}$/, { message: 'purePhoneNumber must be 5-15 digits' })
  purePhoneNumber?: string;

  @ApiPropertyOptional({ example: '86', description: 'Default 86' })
  @IsOptional()
  @Matches(/^\d{1,4}$/, { message: 'countryCode must be 1-4 digits' })
  countryCode?: string;
}

export class SandboxPhoneCodeView {
  @ApiProperty({ description: 'Send it to POST /users/me/phone as {"code"}' }) code!: string;
  @ApiProperty({ example: 300 }) expiresIn!: number;
}

export class SandboxEncryptedDataDto {
  @ApiPropertyOptional({ enum: ['werun', 'phone'], description: 'A sample payload of that kind (default werun), unless `data` is given' })
  @IsOptional()
  @IsIn(['werun', 'phone'])
  kind?: 'werun' | 'phone';

  @ApiPropertyOptional({ description: 'Any JSON object to encrypt (a watermark with our appid is added)' })
  @IsOptional()
  @IsObject()
  data?: Record<string, unknown>;
}

export class SandboxEncryptedDataView {
  @ApiProperty({ description: 'Send it with iv to POST /auth/decrypt or POST /users/me/phone' }) encryptedData!: string;
  @ApiProperty() iv!: string;
}

export class SandboxSubscribeDto {
  @ApiProperty({ example: 'tpl-1', description: 'The subscribe template the user answers for' })
  @Matches(/^[A-Za-z0-9_-]{1,128}$/, { message: 'templateId must be 1-128 letters, digits, - or _' })
  templateId!: string;

  @ApiPropertyOptional({ enum: ['accept', 'reject'], description: 'Default accept' })
  @IsOptional()
  @IsIn(['accept', 'reject'])
  status?: 'accept' | 'reject';
}

export class SandboxPushAnswerView {
  @ApiProperty({ example: 200, description: "Our /wechat/push callback's HTTP status (0: unreachable)" }) status!: number;
  @ApiProperty({ example: 'success' }) body!: string;
}

export class SandboxSubscribeView {
  @ApiProperty({ enum: ['accept', 'reject'] }) status!: 'accept' | 'reject';
  @ApiProperty({ type: SandboxPushAnswerView, description: 'What the callback answered the fake WeChat' }) callback!: SandboxPushAnswerView;
}
