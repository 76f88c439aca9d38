import { randomBytes } from 'node:crypto';

/** errmsg texts as WeChat words them (before the `, rid: …` suffix); see shared/wechat-api.md §0-5. */
const ERRMSG: Readonly<Record<number, string>> = {
  [-1]: 'system error',
  40001: 'invalid credential, access_token is invalid or not latest',
  40002: 'invalid grant_type',
  40003: 'invalid openid',
  40013: 'invalid appid',
  40014: 'invalid access_token',
  40029: 'invalid code',
  40037: 'invalid template_id',
  40125: 'invalid appsecret',
  40163: 'code been used',
  40226: 'code blocked',
  41001: 'access_token missing',
  41002: 'appid missing',
  41004: 'appsecret missing',
  41008: 'missing code',
  41028: 'invalid form id',
  41029: 'form id used count reach limit',
  41030: 'invalid page',
  42001: 'access_token expired',
  43002: 'require POST method',
  43101: 'user refuse to accept the msg',
  45009: 'reach max api daily quota limit',
  45011: 'api minute-quota reach limit  mustslower  retry next minute',
  47001: 'data format error',
  47003: 'argument invalid!',
  87009: 'invalid signature',
};

/** Request id in the shape WeChat appends to every errmsg, e.g. `652d44d0-1d0af18b-5b069232`. */
export function requestId(): string {
  const hex = randomBytes(12).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 16)}-${hex.slice(16)}`;
}

export function errorBody(errcode: number, text?: string): string {
  const message = text ?? ERRMSG[errcode] ?? 'injected error';
  return JSON.stringify({ errcode, errmsg: `${message}, rid: ${requestId()}` });
}

/** Thrown by a fake endpoint handler to answer `{errcode, errmsg}`. */
export class Rejection extends Error {
  constructor(
    readonly errcode: number,
    readonly text?: string,
  ) {
    super(text ?? `errcode ${errcode}`);
  }
}
