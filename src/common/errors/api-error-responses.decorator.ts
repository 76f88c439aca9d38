import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiResponse } from '@nestjs/swagger';

export class ErrorBodyDto {
  @ApiProperty({ example: 401 }) statusCode!: number;
  @ApiProperty({ example: 'WECHAT_INVALID_CODE', description: 'Stable machine code' }) code!: string;
  @ApiProperty({ example: 'The login code is invalid or expired; call wx.login() again' }) message!: string;
  @ApiProperty({ required: false, description: "WeChat's errcode, when WeChat refused the request" }) errcode?: number;
  @ApiProperty({ required: false, description: "WeChat's errmsg, when WeChat refused the request" }) errmsg?: string;
}

/** Documents the error answers of a route: `[status, codes and when]` pairs, all with the one error body. */
export function ApiErrorResponses(...responses: Array<[status: number, description: string]>) {
  return applyDecorators(...responses.map(([status, description]) => ApiResponse({ status, description, type: ErrorBodyDto })));
}
