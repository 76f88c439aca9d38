import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SubscriptionsModule } from '../push/subscriptions.module.js';
import { UsersModule } from '../users/users.module.js';
import { WechatModule } from '../wechat/wechat.module.js';
import { IdempotencyStore } from './idempotency.store.js';
import { MessageLog } from './message-log.entity.js';
import { MessageLogOutbox } from './message-log.outbox.js';
import { MessageLogRepository } from './message-log.repository.js';
import { TemplatesController } from './templates.controller.js';
import { TemplatesService } from './templates.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([MessageLog]), UsersModule, WechatModule, SubscriptionsModule],
  controllers: [TemplatesController],
  providers: [TemplatesService, MessageLogRepository, MessageLogOutbox, IdempotencyStore],
  exports: [MessageLogRepository, IdempotencyStore],
})
export class TemplatesModule {}
