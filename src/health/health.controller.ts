import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { Public } from '../common/decorators/public.decorator.js';
import { AccessTokenHealthIndicator } from './access-token.health.js';
import { BatchQueueHealthIndicator } from './batch-queue.health.js';
import { DatabaseHealthIndicator } from './database.health.js';
import { StoreHealthIndicator } from './store.health.js';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: DatabaseHealthIndicator,
    private readonly store: StoreHealthIndicator,
    private readonly accessToken: AccessTokenHealthIndicator,
    private readonly batchQueue: BatchQueueHealthIndicator,
  ) {}

  @Public()
  @Get()
  @HealthCheck()
  check() {
    return this.health.check([
      () => this.database.check('database'),
      () => this.store.check('redis'),
      () => this.accessToken.wechat('wechat'),
      () => this.accessToken.check('wechatAccessToken'),
      () => this.batchQueue.check('batchQueue'),
    ]);
  }
}
