import { Injectable, Logger } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { DataSource } from 'typeorm';
import { withDatabase } from '../database/database-unavailable.js';

/**
 * SELECT 1 within DB_QUERY_TIMEOUT_MS. Terminus's own TypeORM check puts the driver's message
 * (host names, ports) into the public body; this one reports only the status and logs the cause.
 */
@Injectable()
export class DatabaseHealthIndicator {
  private readonly logger = new Logger(DatabaseHealthIndicator.name);

  constructor(
    private readonly health: HealthIndicatorService,
    private readonly dataSource: DataSource,
  ) {}

  async check(key: string) {
    const indicator = this.health.check(key);
    try {
      await withDatabase(() => this.dataSource.query('SELECT 1'));
      return indicator.up();
    } catch (error) {
      this.logger.warn({ err: error }, 'Health check: the database is down');
      return indicator.down();
    }
  }
}
