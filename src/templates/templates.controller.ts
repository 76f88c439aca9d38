import { Body, Controller, Get, Headers, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses } from '../common/errors/api-error-responses.decorator.js';
import { Authenticated, type AuthenticatedRequest } from '../common/decorators/authenticated.decorator.js';
import { ServiceOnly } from '../common/decorators/access.decorator.js';
import { HttpErrors } from '../common/errors/http.errors.js';
import { AuthErrors } from '../auth/auth.errors.js';
import { StoreErrors } from '../redis/store.errors.js';
import { UsersErrors } from '../users/users.errors.js';
import { WechatErrors } from '../wechat/wechat.errors.js';
import type { Principal } from '../common/principal.js';
import { ListMessagesQuery } from './dto/list-messages.query.js';
import { SendTemplateDto, SendTemplateResponseDto } from './dto/send-template.dto.js';
import { TemplatesErrors } from './templates.errors.js';
import { TemplatesService } from './templates.service.js';

@ApiTags('templates')
@ApiBearerAuth()
@Controller('templates')
export class TemplatesController {
  constructor(private readonly templates: TemplatesService) {}

  @Post('send')
  @HttpCode(200)
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'Same key + same body within 24 h returns the first result without sending again',
  })
  @ApiOkResponse({ type: SendTemplateResponseDto })
  @ApiErrorResponses(
    HttpErrors.VALIDATION_FAILED,
    TemplatesErrors.RECIPIENT_REQUIRED,
    TemplatesErrors.AMBIGUOUS_RECIPIENT,
    TemplatesErrors.INVALID_IDEMPOTENCY_KEY,
    AuthErrors.AUTH_TOKEN_MISSING,
    AuthErrors.AUTH_TOKEN_INVALID,
    TemplatesErrors.RECIPIENT_FORBIDDEN,
    UsersErrors.USER_NOT_FOUND,
    TemplatesErrors.WECHAT_NOT_SUBSCRIBED,
    TemplatesErrors.IDEMPOTENCY_KEY_IN_FLIGHT,
    TemplatesErrors.WECHAT_INVALID_ARGUMENT,
    TemplatesErrors.IDEMPOTENCY_KEY_REUSED,
    WechatErrors.WECHAT_RATE_LIMITED,
    WechatErrors.WECHAT_QUOTA_EXCEEDED,
    WechatErrors.WECHAT_UNREACHABLE,
    WechatErrors.WECHAT_TOKEN_REJECTED,
    WechatErrors.WECHAT_MISCONFIGURED,
    WechatErrors.WECHAT_BUSY,
    StoreErrors.STORE_UNAVAILABLE,
    WechatErrors.WECHAT_TIMEOUT,
  )
  send(
    @Authenticated() { principal }: AuthenticatedRequest<Principal>,
    @Body() dto: SendTemplateDto,
    @Headers('idempotency-key') idempotencyKey?: string,
  ): Promise<SendTemplateResponseDto> {
    if (idempotencyKey !== undefined && (idempotencyKey.length === 0 || idempotencyKey.length > 255)) {
      throw TemplatesErrors.INVALID_IDEMPOTENCY_KEY();
    }
    return this.templates.send(principal, dto, idempotencyKey);
  }

  @ServiceOnly('Only internal services may read the delivery log')
  @Get('messages')
  @ApiOkResponse({ description: 'Delivery log, newest first: {items, nextCursor}' })
  @ApiErrorResponses(
    HttpErrors.VALIDATION_FAILED,
    AuthErrors.AUTH_TOKEN_MISSING,
    AuthErrors.AUTH_TOKEN_INVALID,
    AuthErrors.SERVICE_TOKEN_REQUIRED,
  )
  messages(@Query() query: ListMessagesQuery) {
    return this.templates.listMessages(query);
  }
}
