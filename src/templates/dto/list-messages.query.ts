import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsUUID, IsOptional, IsString, Matches, Max, Min } from 'class-validator';

export class ListMessagesQuery {
  @ApiPropertyOptional() @IsOptional() @IsString() @Matches(/^[A-Za-z0-9_-]{1,64}$/)
  openid?: string;

  @ApiPropertyOptional({ enum: ['sent', 'failed', 'unknown'], description: '`unknown`: a batch send whose outcome was lost with its instance' })
  @IsOptional() @IsIn(['sent', 'failed', 'unknown'])
  status?: 'sent' | 'failed' | 'unknown';

  @ApiPropertyOptional({ description: 'Only the sends of this batch' }) @IsOptional() @IsUUID()
  batchId?: string;

  @ApiPropertyOptional({ description: 'ISO 8601, inclusive' }) @IsOptional() @IsISO8601({ strict: true })
  since?: string;

  @ApiPropertyOptional({ description: 'ISO 8601, exclusive' }) @IsOptional() @IsISO8601({ strict: true })
  until?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(100)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' }) @IsOptional() @Matches(/^[0-9]{1,20}$/, { message: 'cursor is not a cursor from nextCursor' })
  cursor?: string;
}
