import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { WechatModule } from '../wechat/wechat.module.js';
import { AccessTokenHealthIndicator } from './access-token.health.js';
import { BatchQueueHealthIndicator } from './batch-queue.health.js';
import { DatabaseHealthIndicator } from './database.health.js';
import { HealthController } from './health.controller.js';
import { StoreHealthIndicator } from './store.health.js';

@Module({
  imports: [TerminusModule.forRoot({ logger: false }), WechatModule],
  controllers: [HealthController],
  providers: [DatabaseHealthIndicator, StoreHealthIndicator, AccessTokenHealthIndicator, BatchQueueHealthIndicator],
})
export class HealthModule {}
