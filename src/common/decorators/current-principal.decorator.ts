import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { AppRequest } from '../principal.js';

/** The principal the AuthGuard attached to the request. */
export const CurrentPrincipal = createParamDecorator((_data: unknown, ctx: ExecutionContext) => {
  return ctx.switchToHttp().getRequest<AppRequest>().principal;
});
