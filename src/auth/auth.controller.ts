import { Body, Controller, HttpCode, Post, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses } from '../common/errors/api-error-responses.decorator.js';
import { HttpErrors } from '../common/errors/http.errors.js';
import { UserOnly } from '../common/decorators/access.decorator.js';
import { Authenticated, type AuthenticatedRequest } from '../common/decorators/authenticated.decorator.js';
import { Public } from '../common/decorators/public.decorator.js';
import type { AppResponse, UserPrincipal } from '../common/principal.js';
import { DatabaseErrors } from '../database/database.errors.js';
import { StoreErrors } from '../redis/store.errors.js';
import { WechatErrors } from '../wechat/wechat.errors.js';
import { AuthErrors } from './auth.errors.js';
import { AuthService } from './auth.service.js';
import { UserView } from '../users/user.view.js';
import { LoginDto } from './dto/login.dto.js';
import { LoginResponseDto } from './dto/login-response.dto.js';
import { LoginThrottleGuard } from './login-throttle.guard.js';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @UseGuards(LoginThrottleGuard)
  @Post('login')
  @HttpCode(200)
  @ApiOkResponse({ type: LoginResponseDto, description: 'The token is also in the Authorization response header' })
  @ApiErrorResponses(
    HttpErrors.VALIDATION_FAILED,
    HttpErrors.INVALID_JSON,
    AuthErrors.WECHAT_INVALID_CODE,
    AuthErrors.WECHAT_CODE_USED,
    AuthErrors.WECHAT_CODE_BLOCKED,
    HttpErrors.PAYLOAD_TOO_LARGE,
    AuthErrors.TOO_MANY_LOGINS,
    WechatErrors.WECHAT_RATE_LIMITED,
    WechatErrors.WECHAT_UNREACHABLE,
    WechatErrors.WECHAT_BAD_RESPONSE,
    WechatErrors.WECHAT_MISCONFIGURED,
    WechatErrors.WECHAT_BUSY,
    StoreErrors.STORE_UNAVAILABLE,
    DatabaseErrors.DATABASE_UNAVAILABLE,
    WechatErrors.WECHAT_TIMEOUT,
  )
  async login(@Body() dto: LoginDto, @Res({ passthrough: true }) response: AppResponse): Promise<LoginResponseDto> {
    const { token, expiresIn, user } = await this.auth.login((dto.code ?? dto.js_code) as string);
    response.header('Authorization', token);
    return { token, expiresIn, user: UserView.of(user) };
  }

  @UserOnly('Only a user session can log out')
  @Post('logout')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiNoContentResponse({ description: 'The token stops working at once' })
  @ApiErrorResponses(AuthErrors.AUTH_TOKEN_MISSING, AuthErrors.AUTH_TOKEN_INVALID, AuthErrors.USER_SESSION_REQUIRED)
  async logout(@Authenticated() { principal }: AuthenticatedRequest<UserPrincipal>): Promise<void> {
    await this.auth.logout(principal.userId, principal.sessionId);
  }

  @UserOnly('Only a user session can log out')
  @Post('logout-all')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiNoContentResponse({ description: 'Every session of the user stops working at once, on every instance' })
  @ApiErrorResponses(
    AuthErrors.AUTH_TOKEN_MISSING,
    AuthErrors.AUTH_TOKEN_INVALID,
    AuthErrors.USER_SESSION_REQUIRED,
    StoreErrors.STORE_UNAVAILABLE,
  )
  async logoutAll(@Authenticated() { principal }: AuthenticatedRequest<UserPrincipal>): Promise<void> {
    await this.auth.logoutAll(principal.userId);
  }
}
