import { Body, Controller, Delete, HttpCode, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuthErrors } from '../auth/auth.errors.js';
import { UserOnly } from '../common/decorators/access.decorator.js';
import { Authenticated, type AuthenticatedRequest } from '../common/decorators/authenticated.decorator.js';
import { ApiErrorResponses } from '../common/errors/api-error-responses.decorator.js';
import { HttpErrors } from '../common/errors/http.errors.js';
import type { UserPrincipal } from '../common/principal.js';
import { DatabaseErrors } from '../database/database.errors.js';
import { StoreErrors } from '../redis/store.errors.js';
import { UsersErrors } from '../users/users.errors.js';
import { UserView } from '../users/user.view.js';
import { WechatErrors } from '../wechat/wechat.errors.js';
import { BindPhoneDto } from './dto/bind-phone.dto.js';
import { UpdateProfileDto } from './dto/update-profile.dto.js';
import { PhoneNumberService } from './phone-number.service.js';
import { PhoneNumberView } from './phone-number.view.js';
import { ProfileService } from './profile.service.js';
import { UserDataErrors } from './user-data.errors.js';

const GUARDED = [AuthErrors.AUTH_TOKEN_MISSING, AuthErrors.AUTH_TOKEN_INVALID, AuthErrors.USER_SESSION_REQUIRED] as const;
const BACKENDS = [StoreErrors.STORE_UNAVAILABLE, DatabaseErrors.DATABASE_UNAVAILABLE] as const;

/** The user's own profile, phone number and account; a service token gets 403 on every route. */
@ApiTags('users')
@ApiBearerAuth()
@UserOnly('Only a user session has a profile')
@Controller('users/me')
export class UserDataController {
  constructor(
    private readonly profiles: ProfileService,
    private readonly phones: PhoneNumberService,
  ) {}

  @Patch()
  @ApiOkResponse({ type: UserView, description: 'The user, as every live session of it now sees it' })
  @ApiErrorResponses(HttpErrors.VALIDATION_FAILED, ...GUARDED, UsersErrors.SESSION_USER_GONE, ...BACKENDS)
  update(@Authenticated() { principal }: AuthenticatedRequest<UserPrincipal>, @Body() dto: UpdateProfileDto): Promise<UserView> {
    return this.profiles.update(principal, { nickname: dto.nickname, avatarUrl: dto.avatarUrl });
  }

  @Post('phone')
  @HttpCode(200)
  @ApiOkResponse({ type: PhoneNumberView, description: 'Stored on the user' })
  @ApiErrorResponses(
    HttpErrors.VALIDATION_FAILED,
    ...GUARDED,
    UsersErrors.SESSION_USER_GONE,
    UserDataErrors.PHONE_CODE_INVALID,
    UserDataErrors.WECHAT_DATA_WRONG_APP,
    UserDataErrors.WECHAT_DECRYPT_FAILED,
    UserDataErrors.SESSION_KEY_UNKNOWN,
    UserDataErrors.NOT_PHONE_DATA,
    WechatErrors.WECHAT_RATE_LIMITED,
    WechatErrors.WECHAT_BUSY,
    WechatErrors.WECHAT_TOKEN_REJECTED,
    WechatErrors.WECHAT_UNREACHABLE,
    WechatErrors.WECHAT_TIMEOUT,
    ...BACKENDS,
  )
  bindPhone(@Authenticated() { principal }: AuthenticatedRequest<UserPrincipal>, @Body() dto: BindPhoneDto): Promise<PhoneNumberView> {
    if (dto.code !== undefined) return this.phones.bindByCode(principal, dto.code);
    return this.phones.bindByEncryptedData(principal, { encryptedData: dto.encryptedData as string, iv: dto.iv as string });
  }

  @Delete()
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'The user row and its personal fields are gone; every session has ended' })
  @ApiErrorResponses(...GUARDED, ...BACKENDS)
  async delete(@Authenticated() { principal }: AuthenticatedRequest<UserPrincipal>): Promise<void> {
    await this.profiles.delete(principal);
  }
}
