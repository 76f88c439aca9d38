import { Injectable } from '@nestjs/common';
import type { UserPrincipal } from '../common/principal.js';
import { UsersRepository, type PhoneNumber } from '../users/users.repository.js';
import { AccessTokenService } from '../wechat/access-token.service.js';
import type { EncryptedData } from '../wechat/encrypted-data.crypto.js';
import { type PhoneInfo, WechatClient } from '../wechat/wechat.client.js';
import { isWechatError } from '../wechat/wechat.errors.js';
import { toDomainError, type WechatErrorMapping } from '../wechat/wechat-error.mapping.js';
import { ProfileService } from './profile.service.js';
import { SessionKeyService } from './session-key.service.js';
import { UserDataErrors } from './user-data.errors.js';

const PHONE_CODE_ERRORS: WechatErrorMapping = {
  invalid_code: UserDataErrors.PHONE_CODE_INVALID,
  code_used: UserDataErrors.PHONE_CODE_INVALID,
};

/** Binds the user's phone number: from a phone code (getuserphonenumber) or from the legacy encrypted data. */
@Injectable()
export class PhoneNumberService {
  constructor(
    private readonly wechat: WechatClient,
    private readonly tokens: AccessTokenService,
    private readonly users: UsersRepository,
    private readonly sessionKeys: SessionKeyService,
    private readonly profiles: ProfileService,
  ) {}

  async bindByCode(principal: UserPrincipal, code: string): Promise<PhoneNumber> {
    let info: PhoneInfo;
    try {
      info = await this.tokens.withToken((token) => this.wechat.getUserPhoneNumber(token, code, principal.openid));
    } catch (error) {
      throw isWechatError(error) ? toDomainError(error, PHONE_CODE_ERRORS) : error;
    }
    if (info.watermarkAppId !== null && info.watermarkAppId !== this.wechat.appId) throw UserDataErrors.WECHAT_DATA_WRONG_APP();
    return this.store(principal, { phoneNumber: info.phoneNumber, purePhoneNumber: info.purePhoneNumber, countryCode: info.countryCode });
  }

  async bindByEncryptedData(principal: UserPrincipal, data: EncryptedData): Promise<PhoneNumber> {
    const phone = phoneOf(await this.sessionKeys.decrypt(principal.userId, data));
    if (phone === null) throw UserDataErrors.NOT_PHONE_DATA();
    return this.store(principal, phone);
  }

  private async store(principal: UserPrincipal, phone: PhoneNumber): Promise<PhoneNumber> {
    const user = await this.users.setPhoneNumber(principal.userId, phone);
    await this.profiles.publish(user);
    return phone;
  }
}

/** The phone fields of a decrypted getPhoneNumber payload (countryCode may come as a number). */
function phoneOf(data: Record<string, unknown>): PhoneNumber | null {
  const countryCode = typeof data['countryCode'] === 'number' ? String(data['countryCode']) : data['countryCode'];
  const { phoneNumber, purePhoneNumber } = data;
  if (typeof phoneNumber !== 'string' || typeof purePhoneNumber !== 'string' || typeof countryCode !== 'string') return null;
  if (!/^\d{1,8}$/.test(countryCode) || !/^\+?[\d -]{1,31}$/.test(phoneNumber) || !/^\d{1,32}$/.test(purePhoneNumber)) return null;
  return { phoneNumber, purePhoneNumber, countryCode };
}
