import { Global, Module } from '@nestjs/common';
import { BatchQueueLink } from './batch-queue.link.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsService } from './metrics.service.js';

/** Global, so the modules that count things (wechat, auth, templates) need not import it. */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [MetricsService, BatchQueueLink],
  exports: [MetricsService],
})
export class MetricsModule {}
