import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { DomainError } from '../common/errors/domain.error.js';
import { ApiErrorResponses } from '../common/errors/api-error-responses.decorator.js';
import { CurrentPrincipal } from '../common/decorators/current-principal.decorator.js';
import type { Principal } from '../common/principal.js';
import { UsersService } from './users.service.js';
import { UserView } from './user.view.js';

@ApiTags('users')
@ApiBearerAuth()
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get('me')
  @ApiOkResponse({ type: UserView })
  @ApiErrorResponses(
    [401, 'AUTH_TOKEN_MISSING / AUTH_TOKEN_INVALID'],
    [403, 'USER_SESSION_REQUIRED: a service token'],
    [503, 'STORE_UNAVAILABLE / DATABASE_UNAVAILABLE'],
  )
  async me(@CurrentPrincipal() principal: Principal): Promise<UserView> {
    if (principal.kind !== 'user') throw new DomainError('USER_SESSION_REQUIRED', 'Only a user session has a profile', 403);
    const user = await this.users.findById(principal.userId);
    if (!user) throw new DomainError('USER_NOT_FOUND', 'The user of this session no longer exists', 404);
    return UserView.of(user);
  }
}
