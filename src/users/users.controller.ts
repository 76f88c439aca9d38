import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses } from '../common/errors/api-error-responses.decorator.js';
import { Authenticated, type AuthenticatedRequest } from '../common/decorators/authenticated.decorator.js';
import { ServiceOnly, UserOnly } from '../common/decorators/access.decorator.js';
import type { UserPrincipal } from '../common/principal.js';
import { AuthErrors } from '../auth/auth.errors.js';
import { snapshotOf } from '../auth/user-snapshot.js';
import { HttpErrors } from '../common/errors/http.errors.js';
import { DatabaseErrors } from '../database/database.errors.js';
import { StoreErrors } from '../redis/store.errors.js';
import { FindUserQuery, UserIdParams } from './dto/find-user.query.js';
import { UsersErrors } from './users.errors.js';
import { UsersRepository } from './users.repository.js';
import { UserView } from './user.view.js';

@ApiTags('users')
@ApiBearerAuth()
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersRepository) {}

  /** Answered from the session's snapshot of the user: no database read. */
  @UserOnly('Only a user session has a profile')
  @Get('me')
  @ApiOkResponse({ type: UserView })
  @ApiErrorResponses(
    AuthErrors.AUTH_TOKEN_MISSING,
    AuthErrors.AUTH_TOKEN_INVALID,
    AuthErrors.USER_SESSION_REQUIRED,
    StoreErrors.STORE_UNAVAILABLE,
  )
  me(@Authenticated() { principal }: AuthenticatedRequest<UserPrincipal>): UserView {
    return UserView.of(principal.user);
  }

  /** For internal services: the user with that openid (personal fields included). */
  @ServiceOnly('Only internal services may look users up')
  @Get()
  @ApiOkResponse({ type: UserView })
  @ApiErrorResponses(
    HttpErrors.VALIDATION_FAILED,
    AuthErrors.AUTH_TOKEN_MISSING,
    AuthErrors.AUTH_TOKEN_INVALID,
    AuthErrors.SERVICE_TOKEN_REQUIRED,
    UsersErrors.USER_NOT_FOUND_BY_OPENID,
    DatabaseErrors.DATABASE_UNAVAILABLE,
  )
  async findByOpenid(@Query() query: FindUserQuery): Promise<UserView> {
    const user = await this.users.findByOpenid(query.openid);
    if (!user) throw UsersErrors.USER_NOT_FOUND_BY_OPENID();
    return UserView.of(snapshotOf(user));
  }

  /** For internal services: the user with that id (personal fields included). */
  @ServiceOnly('Only internal services may look users up')
  @Get(':id')
  @ApiOkResponse({ type: UserView })
  @ApiErrorResponses(
    HttpErrors.VALIDATION_FAILED,
    AuthErrors.AUTH_TOKEN_MISSING,
    AuthErrors.AUTH_TOKEN_INVALID,
    AuthErrors.SERVICE_TOKEN_REQUIRED,
    UsersErrors.USER_NOT_FOUND,
    DatabaseErrors.DATABASE_UNAVAILABLE,
  )
  async findById(@Param() params: UserIdParams): Promise<UserView> {
    const user = await this.users.findById(Number(params.id));
    if (!user) throw UsersErrors.USER_NOT_FOUND({ params: { id: params.id } });
    return UserView.of(snapshotOf(user));
  }
}
