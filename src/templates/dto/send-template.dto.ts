import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsNotEmpty, IsOptional, IsString, Matches, MaxLength, Min } from 'class-validator';
import { IsKeywordData } from './keyword-data.validator.js';
import { TemplateMessageFields } from './template-message.fields.js';

// class-validator checks a property's decorators right to left: the type check (last) speaks first.
export class SendTemplateDto extends TemplateMessageFields {
  @ApiPropertyOptional({ description: 'Recipient; a user session may omit it (itself). A service must name openid or userId.' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'openid must be 1-64 letters, digits, _ or -' })
  @IsString()
  openid?: string;

  @ApiPropertyOptional({ description: 'Recipient by our user id, instead of openid' })
  @IsOptional()
  @IsInt()
  @Min(1)
  userId?: number;

  @ApiProperty({
    example: { thing1: { value: 'Order shipped' } },
    description: 'Keyword values; subscribe keywords are checked against WeChat rules',
  })
  @IsKeywordData()
  data!: Record<string, { value: string }>;

  @ApiPropertyOptional({ description: 'Legacy form_id: sends the retired template message instead' })
  @IsOptional()
  @MaxLength(128)
  @IsNotEmpty()
  @IsString()
  formId?: string;
}

export class SendTemplateResponseDto {
  @ApiProperty({
    description: "WeChat's int64 msgid: a number, or a string when it does not fit a JS number",
    nullable: true,
    oneOf: [{ type: 'number' }, { type: 'string' }],
  })
  msgid!: number | string | null;
}
