import { Body, Controller, Get, Headers, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../common/decorators/current-principal.decorator.js';
import { DomainError } from '../common/errors/domain.error.js';
import type { Principal } from '../common/principal.js';
import { ListMessagesQuery } from './dto/list-messages.query.js';
import { SendTemplateDto, SendTemplateResponseDto } from './dto/send-template.dto.js';
import { MessageLogService } from './message-log.service.js';
import { TemplatesService } from './templates.service.js';

@ApiTags('templates')
@ApiBearerAuth()
@Controller('templates')
export class TemplatesController {
  constructor(
    private readonly templates: TemplatesService,
    private readonly logs: MessageLogService,
  ) {}

  @Post('send')
  @HttpCode(200)
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Same key + same body within 24 h returns the first result without sending again' })
  @ApiOkResponse({ type: SendTemplateResponseDto })
  send(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: SendTemplateDto,
    @Headers('idempotency-key') idempotencyKey?: string,
  ): Promise<SendTemplateResponseDto> {
    if (idempotencyKey !== undefined && (idempotencyKey.length === 0 || idempotencyKey.length > 255)) {
      throw new DomainError('INVALID_IDEMPOTENCY_KEY', 'Idempotency-Key must be 1-255 characters', 400);
    }
    return this.templates.send(principal, dto, idempotencyKey);
  }

  @Get('messages')
  @ApiOkResponse({ description: 'Delivery log, newest first: {items, nextCursor}' })
  messages(@CurrentPrincipal() principal: Principal, @Query() query: ListMessagesQuery) {
    if (principal.kind !== 'service') throw new DomainError('SERVICE_TOKEN_REQUIRED', 'Only internal services may read the delivery log', 403);
    return this.logs.list(query);
  }
}
