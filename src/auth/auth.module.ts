import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { UsersModule } from '../users/users.module.js';
import { WechatModule } from '../wechat/wechat.module.js';
import { AuthController } from './auth.controller.js';
import { AuthGuard } from './auth.guard.js';
import { AuthService } from './auth.service.js';
import { LoginCodeExchange } from './login-code.exchange.js';
import { LoginThrottleGuard } from './login-throttle.guard.js';
import { SessionsModule } from './sessions.module.js';
import { UserSessionsController } from './user-sessions.controller.js';

@Module({
  imports: [UsersModule, WechatModule, SessionsModule],
  controllers: [AuthController, UserSessionsController],
  providers: [AuthService, LoginCodeExchange, LoginThrottleGuard, { provide: APP_GUARD, useClass: AuthGuard }],
  exports: [SessionsModule],
})
export class AuthModule {}
