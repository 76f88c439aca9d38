import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

/** `{encryptedData, iv}` exactly as a wx API handed them to the client. Whether they decrypt is checked later (422). */
export class EncryptedDataDto {
  @ApiProperty({ description: 'Base64, as the wx API gave it' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(32_768)
  encryptedData!: string;

  @ApiProperty({ description: 'Base64 of 16 bytes, as the wx API gave it' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  iv!: string;
}
