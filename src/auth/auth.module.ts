import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { UsersModule } from '../users/users.module.js';
import { WechatModule } from '../wechat/wechat.module.js';
import { AuthController } from './auth.controller.js';
import { AuthGuard } from './auth.guard.js';
import { AuthService } from './auth.service.js';
import { LoginThrottleGuard } from './login-throttle.guard.js';
import { SessionStore } from './session.store.js';

@Module({
  imports: [
    UsersModule,
    WechatModule,
  ],
  controllers: [AuthController],
  providers: [AuthService, SessionStore, LoginThrottleGuard, { provide: APP_GUARD, useClass: AuthGuard }],
  exports: [SessionStore],
})
export class AuthModule {}
