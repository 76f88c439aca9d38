import { Controller, Get, Header } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { prometheusContentType } from 'prom-client';
import { ServiceOnly } from '../common/decorators/access.decorator.js';
import { ApiErrorResponses } from '../common/errors/api-error-responses.decorator.js';
import { AuthErrors } from '../auth/auth.errors.js';
import { MetricsService } from './metrics.service.js';

@ApiTags('metrics')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @ServiceOnly('Only a service token can read the metrics')
  @Get()
  @Header('Content-Type', prometheusContentType)
  @Header('Cache-Control', 'no-store')
  @ApiBearerAuth()
  @ApiProduces(prometheusContentType)
  @ApiOkResponse({ description: 'Prometheus text exposition format', schema: { type: 'string' } })
  @ApiErrorResponses(AuthErrors.AUTH_TOKEN_MISSING, AuthErrors.AUTH_TOKEN_INVALID, AuthErrors.SERVICE_TOKEN_REQUIRED)
  scrape(): Promise<string> {
    return this.metrics.exposition();
  }
}
