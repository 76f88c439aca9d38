import { Controller, Delete, HttpCode, Param, ParseIntPipe } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiTags } from '@nestjs/swagger';
import { ServiceOnly } from '../common/decorators/access.decorator.js';
import { ApiErrorResponses } from '../common/errors/api-error-responses.decorator.js';
import { HttpErrors } from '../common/errors/http.errors.js';
import { DatabaseErrors } from '../database/database.errors.js';
import { StoreErrors } from '../redis/store.errors.js';
import { UsersErrors } from '../users/users.errors.js';
import { UsersRepository } from '../users/users.repository.js';
import { AuthErrors } from './auth.errors.js';
import { SessionStore } from './session.store.js';

/** Revocation by an internal service: every session of a user ends. */
@ApiTags('auth')
@ApiBearerAuth()
@Controller('users')
export class UserSessionsController {
  constructor(
    private readonly users: UsersRepository,
    private readonly sessions: SessionStore,
  ) {}

  @ServiceOnly('Only internal services may end the sessions of a user')
  @Delete(':id/sessions')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Every session of the user stops working at once, on every instance' })
  @ApiErrorResponses(
    HttpErrors.BAD_REQUEST,
    AuthErrors.AUTH_TOKEN_MISSING,
    AuthErrors.AUTH_TOKEN_INVALID,
    AuthErrors.SERVICE_TOKEN_REQUIRED,
    UsersErrors.USER_NOT_FOUND,
    StoreErrors.STORE_UNAVAILABLE,
    DatabaseErrors.DATABASE_UNAVAILABLE,
  )
  async revoke(@Param('id', ParseIntPipe) id: number): Promise<void> {
    if (!(await this.users.findById(id))) throw UsersErrors.USER_NOT_FOUND({ params: { id } });
    await this.sessions.endAllForUser(id);
  }
}
