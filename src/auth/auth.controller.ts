import { Body, Controller, HttpCode, Post, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
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
  async login(@Body() dto: LoginDto, @Res({ passthrough: true }) response: AppResponse): Promise<LoginResponseDto> {
    const result = await this.auth.login((dto.code ?? dto.js_code) as string);
    response.header('Authorization', result.token);
    return result;
  }

  @Post('logout')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiNoContentResponse({ description: 'The token stops working at once' })
  async logout(@CurrentPrincipal() principal: Principal): Promise<void> {
    if (principal.kind !== 'user') throw new DomainError('USER_SESSION_REQUIRED', 'Only a user session can log out', 403);
    await this.auth.logout(principal.sessionId);
  }
}
