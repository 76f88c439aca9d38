import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuthErrors } from '../auth/auth.errors.js';
import { ServiceOnly, UserOnly } from '../common/decorators/access.decorator.js';
import { Authenticated, type AuthenticatedRequest } from '../common/decorators/authenticated.decorator.js';
import { ApiErrorResponses } from '../common/errors/api-error-responses.decorator.js';
import { HttpErrors } from '../common/errors/http.errors.js';
import type { UserPrincipal } from '../common/principal.js';
import { DatabaseErrors } from '../database/database.errors.js';
import { SubscriptionsQuery } from './dto/subscriptions.query.js';
import { SubscriptionsService, type SubscriptionView } from './subscriptions.service.js';

/** What the message-push callback learnt: each template's status and the sends it still allows. */
@ApiTags('subscriptions')
@ApiBearerAuth()
@Controller()
export class SubscriptionsController {
  constructor(private readonly subscriptions: SubscriptionsService) {}

  @ServiceOnly("Only internal services may read any user's subscriptions")
  @Get('templates/subscriptions')
  @ApiOkResponse({ description: '{items: [{templateId, status, remaining, updatedAt}]}' })
  @ApiErrorResponses(
    HttpErrors.VALIDATION_FAILED,
    AuthErrors.AUTH_TOKEN_MISSING,
    AuthErrors.AUTH_TOKEN_INVALID,
    AuthErrors.SERVICE_TOKEN_REQUIRED,
    DatabaseErrors.DATABASE_UNAVAILABLE,
  )
  forService(@Query() query: SubscriptionsQuery): Promise<{ items: SubscriptionView[] }> {
    return this.subscriptions.list(query.openid);
  }

  @UserOnly('Only a user session has its own subscriptions')
  @Get('users/me/subscriptions')
  @ApiOkResponse({ description: '{items: [{templateId, status, remaining, updatedAt}]}' })
  @ApiErrorResponses(
    AuthErrors.AUTH_TOKEN_MISSING,
    AuthErrors.AUTH_TOKEN_INVALID,
    AuthErrors.USER_SESSION_REQUIRED,
    DatabaseErrors.DATABASE_UNAVAILABLE,
  )
  forUser(@Authenticated() { principal }: AuthenticatedRequest<UserPrincipal>): Promise<{ items: SubscriptionView[] }> {
    return this.subscriptions.list(principal.openid);
  }
}
