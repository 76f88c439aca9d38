import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';

export const MINIPROGRAM_STATES = ['developer', 'trial', 'formal'] as const;
export const LANGS = ['zh_CN', 'en_US', 'zh_HK', 'zh_TW'] as const;

/**
 * What a single send and a batch say alike about the message: which template, the page it opens, and
 * the subscribe message's state and language. Each DTO adds its recipients and its `data`.
 * class-validator checks a property's decorators right to left: the type check (last) speaks first.
 */
export class TemplateMessageFields {
  @ApiProperty()
  @MaxLength(128)
  @IsNotEmpty()
  @IsString()
  templateId!: string;

  @ApiPropertyOptional({ example: 'pages/index/index?foo=bar' })
  @IsOptional()
  @MaxLength(512)
  @IsString()
  page?: string;

  @ApiPropertyOptional({ enum: MINIPROGRAM_STATES })
  @IsOptional()
  @IsIn(MINIPROGRAM_STATES)
  miniprogramState?: (typeof MINIPROGRAM_STATES)[number];

  @ApiPropertyOptional({ enum: LANGS })
  @IsOptional()
  @IsIn(LANGS)
  lang?: (typeof LANGS)[number];
}
