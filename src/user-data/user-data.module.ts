import { Module } from '@nestjs/common';
import { SessionsModule } from '../auth/sessions.module.js';
import { UsersModule } from '../users/users.module.js';
import { WechatModule } from '../wechat/wechat.module.js';
import { PhoneNumberService } from './phone-number.service.js';
import { ProfileService } from './profile.service.js';
import { SessionKeyController } from './session-key.controller.js';
import { SessionKeyService } from './session-key.service.js';
import { UserDataController } from './user-data.controller.js';

/**
 * What the user tells us or WeChat tells us about the user (issue 13): profile, phone number,
 * encrypted data, the session_key check, account deletion. Every change reaches the live sessions.
 */
@Module({
  imports: [UsersModule, SessionsModule, WechatModule],
  controllers: [UserDataController, SessionKeyController],
  providers: [ProfileService, PhoneNumberService, SessionKeyService],
})
export class UserDataModule {}
