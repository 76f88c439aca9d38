import { type DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from './auth/auth.module.js';
import { CommonModule } from './common/common.module.js';
import type { AppConfig } from './config/app-config.js';
import { buildDataSourceOptions } from './database/data-source-options.js';
import { setDatabaseDeadline } from './database/database-unavailable.js';
import { LoggingModule } from './logging/logging.module.js';
import { HealthModule } from './health/health.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { PushModule } from './push/push.module.js';
import { StoreModule } from './redis/store.module.js';
import { BatchesModule } from './templates/batches/batches.module.js';
import { TemplatesModule } from './templates/templates.module.js';
import { UserDataModule } from './user-data/user-data.module.js';
import { UsersModule } from './users/users.module.js';
import { isSandbox } from './wechat/wechat-endpoint.js';

/** Built from an already validated configuration, so several differently configured apps can share one process (tests). */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    setDatabaseDeadline(config.database.queryTimeoutMs);
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, ignoreEnvVars: true, load: [() => ({ ...config })] }),
        LoggingModule,
        TypeOrmModule.forRoot({ ...buildDataSourceOptions(config.database), retryAttempts: 3, retryDelay: 1000 }),
        ScheduleModule.forRoot(),
        CommonModule,
        MetricsModule,
        StoreModule,
        AuthModule,
        UsersModule,
        UserDataModule,
        TemplatesModule,
        PushModule,
        BatchesModule.forRoot(config),
        HealthModule,
        // Routes that exist only in sandbox mode, loaded only then (like the fake they drive).
        ...(isSandbox(config.wechat) ? [import('./sandbox/sandbox.module.js').then((loaded) => loaded.SandboxModule.register())] : []),
      ],
    };
  }
}
