import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength, ValidateIf } from 'class-validator';

export class LoginDto {
  @ApiPropertyOptional({ description: 'The code from wx.login()', maxLength: 256 })
  @ValidateIf((dto: LoginDto) => dto.js_code === undefined || dto.code !== undefined)
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  code?: string;

  @ApiPropertyOptional({ description: 'Alias of `code`, accepted for old clients', maxLength: 256 })
  @ValidateIf((dto: LoginDto) => dto.js_code !== undefined)
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  js_code?: string;
}
