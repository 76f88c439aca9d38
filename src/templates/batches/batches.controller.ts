import { Body, Controller, Get, Headers, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiHeader, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuthErrors } from '../../auth/auth.errors.js';
import { ServiceOnly } from '../../common/decorators/access.decorator.js';
import { Authenticated, type AuthenticatedRequest } from '../../common/decorators/authenticated.decorator.js';
import { ApiErrorResponses } from '../../common/errors/api-error-responses.decorator.js';
import { HttpErrors } from '../../common/errors/http.errors.js';
import type { Principal } from '../../common/principal.js';
import { DatabaseErrors } from '../../database/database.errors.js';
import { StoreErrors } from '../../redis/store.errors.js';
import { TemplatesErrors } from '../templates.errors.js';
import { BatchesErrors } from './batches.errors.js';
import { BatchesService } from './batches.service.js';
import { BatchAcceptedDto, BatchDto, CreateBatchDto } from './dto/create-batch.dto.js';

const uuid = new ParseUUIDPipe({ exceptionFactory: () => BatchesErrors.BATCH_NOT_FOUND() });
const SERVICES_ONLY = 'Only internal services may send or read batches';

@ApiTags('templates')
@ApiBearerAuth()
@Controller('templates/batches')
export class BatchesController {
  constructor(private readonly batches: BatchesService) {}

  @Post()
  @HttpCode(202)
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'Same key + same body within 24 h returns the first answer without a second batch',
  })
  @ApiAcceptedResponse({ type: BatchAcceptedDto })
  @ApiErrorResponses(
    HttpErrors.VALIDATION_FAILED,
    TemplatesErrors.INVALID_IDEMPOTENCY_KEY,
    AuthErrors.AUTH_TOKEN_MISSING,
    AuthErrors.AUTH_TOKEN_INVALID,
    AuthErrors.SERVICE_TOKEN_REQUIRED,
    TemplatesErrors.IDEMPOTENCY_KEY_IN_FLIGHT,
    TemplatesErrors.IDEMPOTENCY_KEY_REUSED,
    StoreErrors.STORE_UNAVAILABLE,
    DatabaseErrors.DATABASE_UNAVAILABLE,
  )
  @ServiceOnly(SERVICES_ONLY)
  create(
    @Authenticated() { principal }: AuthenticatedRequest<Principal>,
    @Body() dto: CreateBatchDto,
    @Headers('idempotency-key') idempotencyKey?: string,
  ): Promise<BatchAcceptedDto> {
    if (idempotencyKey !== undefined && (idempotencyKey.length === 0 || idempotencyKey.length > 255))
      throw TemplatesErrors.INVALID_IDEMPOTENCY_KEY();
    return this.batches.create(principal, dto, idempotencyKey);
  }

  @Get(':id')
  @ApiOkResponse({ type: BatchDto })
  @ApiErrorResponses(
    AuthErrors.AUTH_TOKEN_MISSING,
    AuthErrors.AUTH_TOKEN_INVALID,
    AuthErrors.SERVICE_TOKEN_REQUIRED,
    BatchesErrors.BATCH_NOT_FOUND,
  )
  @ServiceOnly(SERVICES_ONLY)
  get(@Param('id', uuid) id: string): Promise<BatchDto> {
    return this.batches.get(id);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOkResponse({ type: BatchDto, description: 'The batch; recipients not yet sent never are' })
  @ApiErrorResponses(
    AuthErrors.AUTH_TOKEN_MISSING,
    AuthErrors.AUTH_TOKEN_INVALID,
    AuthErrors.SERVICE_TOKEN_REQUIRED,
    BatchesErrors.BATCH_NOT_FOUND,
  )
  @ServiceOnly(SERVICES_ONLY)
  cancel(@Param('id', uuid) id: string): Promise<BatchDto> {
    return this.batches.cancel(id);
  }
}
