import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiResponse } from '@nestjs/swagger';
import type { CataloguedError } from './error-catalogue.js';

export class ErrorBodyDto {
  @ApiProperty({ example: 401 }) statusCode!: number;
  @ApiProperty({ example: 'WECHAT_INVALID_CODE', description: 'Stable machine code' }) code!: string;
  @ApiProperty({ example: 'The login code is invalid or expired; call wx.login() again' }) message!: string;
  @ApiProperty({ required: false, description: "WeChat's errcode, when WeChat refused the request" }) errcode?: number;
  @ApiProperty({ required: false, description: "WeChat's errmsg, when WeChat refused the request" }) errmsg?: string;
}

/** Documents the error answers of a route from the catalogue entries it may throw, one answer per status. */
export function ApiErrorResponses(...errors: CataloguedError[]) {
  const byStatus = new Map<number, string[]>();
  for (const error of errors) {
    const lines = byStatus.get(error.status) ?? [];
    const line = `${error.code}: ${error.message}`;
    if (!lines.includes(line)) lines.push(line);
    byStatus.set(error.status, lines);
  }
  return applyDecorators(
    ...[...byStatus].map(([status, lines]) => ApiResponse({ status, description: lines.join(' / '), type: ErrorBodyDto })),
  );
}
