import { createParamDecorator, type ExecutionContext } from '@nestjs/common';

interface RequestWithRawBody {
  rawBody?: Buffer;
  body?: unknown;
}

/**
 * The request body as the client sent it (UTF-8 text), for routes that verify or parse it
 * themselves. The bootstrap keeps the raw bytes on both adapters (JSON and XML content types).
 */
export const RawBodyText = createParamDecorator((_data: unknown, ctx: ExecutionContext): string | undefined => {
  const request = ctx.switchToHttp().getRequest<RequestWithRawBody>();
  if (Buffer.isBuffer(request.rawBody)) return request.rawBody.toString('utf8');
  return typeof request.body === 'string' ? request.body : undefined;
});
