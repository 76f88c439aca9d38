import { ApiProperty } from '@nestjs/swagger';

export class PhoneNumberView {
  @ApiProperty({ example: '13800138000', description: 'With the area code for numbers outside China' }) phoneNumber!: string;
  @ApiProperty({ example: '13800138000' }) purePhoneNumber!: string;
  @ApiProperty({ example: '86' }) countryCode!: string;
}

export class DecryptedDataView {
  @ApiProperty({ description: 'The decrypted JSON object, watermark included', type: 'object', additionalProperties: true })
  data!: Record<string, unknown>;
}

export class SessionStateView {
  @ApiProperty({ description: 'When this session expires (ISO 8601)' }) expiresAt!: string;
  @ApiProperty({ description: "WeChat's checksession on the user's newest session_key" }) sessionKeyValid!: boolean;
}
