import { Body, Controller, HttpCode, Post, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses } from '../common/errors/api-error-responses.decorator.js';
import { CurrentPrincipal } from '../common/decorators/current-principal.decorator.js';
import { Public } from '../common/decorators/public.decorator.js';
import { DomainError } from '../common/errors/domain.error.js';
import type { AppResponse, Principal } from '../common/principal.js';
import { AuthService } from './auth.service.js';
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
    [400, 'VALIDATION_FAILED / INVALID_JSON: missing, empty, non-string or over-long code, bad JSON'],
    [401, 'WECHAT_INVALID_CODE: WeChat 40029/40163'],
    [403, 'WECHAT_CODE_BLOCKED: WeChat 40226'],
    [413, 'PAYLOAD_TOO_LARGE: body over 64 KB'],
    [429, 'TOO_MANY_LOGINS (per-IP limit, Retry-After) / WECHAT_RATE_LIMITED: WeChat 45011'],
    [502, 'WECHAT_UNREACHABLE / WECHAT_BAD_RESPONSE / WECHAT_MISCONFIGURED'],
    [503, 'WECHAT_BUSY (WeChat -1) / STORE_UNAVAILABLE / DATABASE_UNAVAILABLE'],
    [504, 'WECHAT_TIMEOUT'],
  )
  async login(@Body() dto: LoginDto, @Res({ passthrough: true }) response: AppResponse): Promise<LoginResponseDto> {
    const result = await this.auth.login((dto.code ?? dto.js_code) as string);
    response.header('Authorization', result.token);
    return result;
  }

  @Post('logout')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiNoContentResponse({ description: 'The token stops working at once' })
  @ApiErrorResponses([401, 'AUTH_TOKEN_MISSING / AUTH_TOKEN_INVALID'], [403, 'USER_SESSION_REQUIRED: a service token'])
  async logout(@CurrentPrincipal() principal: Principal): Promise<void> {
    if (principal.kind !== 'user') throw new DomainError('USER_SESSION_REQUIRED', 'Only a user session can log out', 403);
    await this.auth.logout(principal.sessionId);
  }
}
