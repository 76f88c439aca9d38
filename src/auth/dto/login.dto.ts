import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength, ValidateIf } from 'class-validator';

export class LoginDto {
  @ApiPropertyOptional({ description: 'The code from wx.login()', maxLength: 256 })
  // class-validator checks a property's decorators bottom-up: IsString speaks first for a non-string.
  @ValidateIf((dto: LoginDto) => dto.js_code === undefined || dto.code !== undefined)
  @MaxLength(256)
  @IsNotEmpty()
  @IsString()
  code?: string;

  @ApiPropertyOptional({ description: 'Alias of `code`, accepted for old clients', maxLength: 256 })
  @ValidateIf((dto: LoginDto) => dto.js_code !== undefined)
  @MaxLength(256)
  @IsNotEmpty()
  @IsString()
  js_code?: string;
}
