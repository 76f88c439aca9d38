import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { UserOnly } from '../common/decorators/access.decorator.js';
import { Authenticated, type AuthenticatedRequest } from '../common/decorators/authenticated.decorator.js';
import { ApiErrorResponses } from '../common/errors/api-error-responses.decorator.js';
import { HttpErrors } from '../common/errors/http.errors.js';
import type { UserPrincipal } from '../common/principal.js';
import { AuthErrors } from '../auth/auth.errors.js';
import { WECHAT_ENDPOINT } from '../wechat/wechat.constants.js';
import type { WechatEndpoint } from '../wechat/wechat-endpoint.js';
import {
  SandboxEncryptedDataDto,
  SandboxEncryptedDataView,
  SandboxPhoneCodeDto,
  SandboxPhoneCodeView,
  SandboxSubscribeDto,
  SandboxSubscribeView,
} from './dto/sandbox.dto.js';
import type { FakeWechatServer } from './fake-wechat.server.js';

const PHONE_CODE_TTL_SECONDS = 300;

/** What a real client gets from WeChat on the device, made by the fake for the caller (sandbox mode only). */
@ApiTags('sandbox')
@ApiBearerAuth()
@UserOnly('Only a user session can try the sandbox flows')
@Controller('sandbox')
export class SandboxController {
  private readonly fake: FakeWechatServer;

  constructor(@Inject(WECHAT_ENDPOINT) endpoint: WechatEndpoint) {
    if (!endpoint.sandbox) throw new Error('SandboxModule is loaded only in sandbox mode');
    this.fake = endpoint.sandbox;
  }

  /** A phone code, as `<button open-type="getPhoneNumber">` gives it, for the caller. */
  @Post('phone-code')
  @HttpCode(200)
  @ApiOkResponse({ type: SandboxPhoneCodeView })
  @ApiErrorResponses(
    HttpErrors.VALIDATION_FAILED,
    AuthErrors.AUTH_TOKEN_MISSING,
    AuthErrors.AUTH_TOKEN_INVALID,
    AuthErrors.USER_SESSION_REQUIRED,
  )
  phoneCode(@Authenticated() { principal }: AuthenticatedRequest<UserPrincipal>, @Body() dto: SandboxPhoneCodeDto): SandboxPhoneCodeView {
    const phone = { purePhoneNumber: dto.purePhoneNumber ?? '13800138000', countryCode: dto.countryCode ?? '86' };
    return { code: this.fake.issuePhoneCode(principal.openid, phone), expiresIn: PHONE_CODE_TTL_SECONDS };
  }

  /** `{encryptedData, iv}` as wx.getWeRunData or the legacy getPhoneNumber give it, for the caller's current session_key. */
  @Post('encrypted-data')
  @HttpCode(200)
  @ApiOkResponse({ type: SandboxEncryptedDataView })
  @ApiErrorResponses(
    HttpErrors.VALIDATION_FAILED,
    AuthErrors.AUTH_TOKEN_MISSING,
    AuthErrors.AUTH_TOKEN_INVALID,
    AuthErrors.USER_SESSION_REQUIRED,
  )
  encryptedData(
    @Authenticated() { principal }: AuthenticatedRequest<UserPrincipal>,
    @Body() dto: SandboxEncryptedDataDto,
  ): SandboxEncryptedDataView {
    if (dto.data) return this.fake.encryptUserData(principal.openid, dto.data);
    if (dto.kind === 'phone') return this.fake.encryptPhoneNumber(principal.openid);
    const today = Math.floor(Date.now() / 86_400_000) * 86_400;
    return this.fake.encryptUserData(principal.openid, { stepInfoList: [{ timestamp: today, step: 8_000 }] });
  }

  /**
   * The subscribe popup answered by the caller: the fake pushes subscribe_msg_popup_event to our own
   * /wechat/push (and, on accept, gives WeChat-side credit), as WeChat does on a device.
   */
  @Post('subscribe')
  @HttpCode(200)
  @ApiOkResponse({ type: SandboxSubscribeView })
  @ApiErrorResponses(
    HttpErrors.VALIDATION_FAILED,
    AuthErrors.AUTH_TOKEN_MISSING,
    AuthErrors.AUTH_TOKEN_INVALID,
    AuthErrors.USER_SESSION_REQUIRED,
  )
  async subscribe(
    @Authenticated() { principal }: AuthenticatedRequest<UserPrincipal>,
    @Body() dto: SandboxSubscribeDto,
  ): Promise<SandboxSubscribeView> {
    const status = dto.status ?? 'accept';
    const answer = await this.fake.pushPopupEvent(principal.openid, dto.templateId, status);
    return { status, callback: { status: answer.status, body: answer.body } };
  }
}
