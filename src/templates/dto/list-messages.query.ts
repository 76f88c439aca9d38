import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Matches, Max, Min } from 'class-validator';
import { IsRfc3339 } from './rfc3339.validator.js';

/** Decimal digits only: Number() would also take '0x10', '1e1' or ' 5'. */
const toDecimalInt = ({ value }: { value: unknown }) => (typeof value === 'string' && /^[0-9]{1,9}$/.test(value) ? Number(value) : value);

export class ListMessagesQuery {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/)
  openid?: string;

  @ApiPropertyOptional({
    enum: ['sent', 'failed', 'unknown'],
    description: '`unknown`: a batch send whose outcome was lost with its instance',
  })
  @IsOptional()
  @IsIn(['sent', 'failed', 'unknown'])
  status?: 'sent' | 'failed' | 'unknown';

  @ApiPropertyOptional({ description: 'Only the sends of this batch' })
  @IsOptional()
  @IsUUID()
  batchId?: string;

  @ApiPropertyOptional({ description: 'RFC 3339 date or date-time with a zone, inclusive' })
  @IsOptional()
  @IsRfc3339()
  since?: string;

  @ApiPropertyOptional({ description: 'RFC 3339 date or date-time with a zone, exclusive' })
  @IsOptional()
  @IsRfc3339()
  until?: string;

  // class-validator checks a property's decorators bottom-up: IsInt speaks first for 'abc'.
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Transform(toDecimalInt)
  @Max(100)
  @Min(1)
  @IsInt()
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @Matches(/^[0-9]{1,20}$/, { message: 'cursor is not a cursor from nextCursor' })
  cursor?: string;
}
