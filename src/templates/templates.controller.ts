import { Body, Controller, Get, Headers, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses } from '../common/errors/api-error-responses.decorator.js';
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
  @ApiErrorResponses(
    [400, 'VALIDATION_FAILED (names the keyword) / RECIPIENT_REQUIRED / AMBIGUOUS_RECIPIENT / INVALID_IDEMPOTENCY_KEY'],
    [401, 'AUTH_TOKEN_MISSING / AUTH_TOKEN_INVALID'],
    [403, 'RECIPIENT_FORBIDDEN: a user sending to someone else'],
    [404, 'USER_NOT_FOUND: unknown userId'],
    [409, 'WECHAT_NOT_SUBSCRIBED (43101) / IDEMPOTENCY_KEY_IN_FLIGHT'],
    [422, 'WECHAT_INVALID_ARGUMENT (40003/40037/41030/47003/41028/41029, errcode in body) / IDEMPOTENCY_KEY_REUSED'],
    [429, 'WECHAT_RATE_LIMITED (45011) / WECHAT_QUOTA_EXCEEDED (45009)'],
    [502, 'WECHAT_UNREACHABLE / WECHAT_TOKEN_REJECTED / WECHAT_MISCONFIGURED'],
    [503, 'WECHAT_BUSY / STORE_UNAVAILABLE'],
    [504, 'WECHAT_TIMEOUT'],
  )
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
  @ApiErrorResponses([400, 'VALIDATION_FAILED: bad filter or cursor'], [401, 'AUTH_TOKEN_MISSING / AUTH_TOKEN_INVALID'], [403, 'SERVICE_TOKEN_REQUIRED: a user session'])
  messages(@CurrentPrincipal() principal: Principal, @Query() query: ListMessagesQuery) {
    if (principal.kind !== 'service') throw new DomainError('SERVICE_TOKEN_REQUIRED', 'Only internal services may read the delivery log', 403);
    return this.logs.list(query);
  }
}
