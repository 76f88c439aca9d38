import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuthErrors } from '../auth/auth.errors.js';
import { UserOnly } from '../common/decorators/access.decorator.js';
import { Authenticated, type AuthenticatedRequest } from '../common/decorators/authenticated.decorator.js';
import { ApiErrorResponses } from '../common/errors/api-error-responses.decorator.js';
import { HttpErrors } from '../common/errors/http.errors.js';
import type { UserPrincipal } from '../common/principal.js';
import { StoreErrors } from '../redis/store.errors.js';
import { WechatErrors } from '../wechat/wechat.errors.js';
import { EncryptedDataDto } from './dto/encrypted-data.dto.js';
import { DecryptedDataView, SessionStateView } from './phone-number.view.js';
import { SessionKeyService } from './session-key.service.js';
import { UserDataErrors } from './user-data.errors.js';

const GUARDED = [AuthErrors.AUTH_TOKEN_MISSING, AuthErrors.AUTH_TOKEN_INVALID, AuthErrors.USER_SESSION_REQUIRED] as const;

/** Uses of the user's WeChat session_key, which stays on the server. */
@ApiTags('auth')
@ApiBearerAuth()
@UserOnly('Only a user session has a WeChat session_key')
@Controller('auth')
export class SessionKeyController {
  constructor(private readonly sessionKeys: SessionKeyService) {}

  /** WeRun steps, share info, user info: whatever a wx API gave the client encrypted. */
  @Post('decrypt')
  @HttpCode(200)
  @ApiOkResponse({ type: DecryptedDataView })
  @ApiErrorResponses(
    HttpErrors.VALIDATION_FAILED,
    ...GUARDED,
    UserDataErrors.WECHAT_DATA_WRONG_APP,
    UserDataErrors.WECHAT_DECRYPT_FAILED,
    UserDataErrors.SESSION_KEY_UNKNOWN,
    StoreErrors.STORE_UNAVAILABLE,
  )
  async decrypt(
    @Authenticated() { principal }: AuthenticatedRequest<UserPrincipal>,
    @Body() dto: EncryptedDataDto,
  ): Promise<DecryptedDataView> {
    return { data: await this.sessionKeys.decrypt(principal.userId, { encryptedData: dto.encryptedData, iv: dto.iv }) };
  }

  @Get('session')
  @ApiOkResponse({ type: SessionStateView })
  @ApiErrorResponses(
    ...GUARDED,
    WechatErrors.WECHAT_RATE_LIMITED,
    WechatErrors.WECHAT_BUSY,
    WechatErrors.WECHAT_TOKEN_REJECTED,
    WechatErrors.WECHAT_UNREACHABLE,
    WechatErrors.WECHAT_TIMEOUT,
    StoreErrors.STORE_UNAVAILABLE,
  )
  session(@Authenticated() { principal }: AuthenticatedRequest<UserPrincipal>): Promise<SessionStateView> {
    return this.sessionKeys.state(principal);
  }
}
