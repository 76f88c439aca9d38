import { Controller, Get, HttpCode, Post, Query, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '../common/decorators/public.decorator.js';
import { RawBodyText } from '../common/decorators/raw-body.decorator.js';
import type { AppResponse } from '../common/principal.js';
import { PushService } from './push.service.js';
import type { PushQuery } from './push.verifier.js';

const TEXT = 'text/plain; charset=utf-8';

/**
 * WeChat's message-push URL (wechat-api.md §7). Public to our guard: WeChat signs each request
 * with the console's Token instead, and the verifier checks every one.
 */
@ApiExcludeController()
@Public()
@Controller('wechat/push')
export class PushController {
  constructor(private readonly push: PushService) {}

  /** URL verification: the `echostr` itself, as plain text, only when the signature is right. */
  @Get()
  verify(@Query() query: PushQuery, @Res({ passthrough: true }) response: AppResponse): string {
    const echostr = this.push.echo(query);
    response.header('Content-Type', TEXT);
    return echostr;
  }

  @Post()
  @HttpCode(200)
  async receive(
    @Query() query: PushQuery,
    @RawBodyText() rawBody: string | undefined,
    @Res({ passthrough: true }) response: AppResponse,
  ): Promise<string> {
    await this.push.receive(query, rawBody);
    response.header('Content-Type', TEXT);
    return 'success';
  }
}
