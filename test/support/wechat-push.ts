import { request as httpRequest } from 'node:http';
import request from 'supertest';
import {
  buildPush,
  type BuiltPush,
  type PushEventInput,
  type PushItemInput,
  type PushSigning,
} from '../../src/sandbox/fake-wechat.push.js';

export { buildPush, type BuiltPush, type PushEventInput, type PushItemInput };

/** The Token and EncodingAESKey the test apps are configured with (as in the MP console). */
export const PUSH_TOKEN = 'AAAAA';
export const PUSH_AES_KEY = 'Kx9Wm2Qp7Rt4Yv6Zb8Nc1Dd3Fg5Hj0Lk2Mn4Pq6Rs8T';

export type PushMode = 'plaintext' | 'compatible' | 'safe';
export type PushFormat = 'json' | 'xml';

export const MODES_AND_FORMATS: Array<[PushMode, PushFormat]> = [
  ['plaintext', 'json'],
  ['plaintext', 'xml'],
  ['compatible', 'json'],
  ['compatible', 'xml'],
  ['safe', 'json'],
  ['safe', 'xml'],
];

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

let sequence = 0;
/** A template id nobody else uses (template ids are global to a fake and to the database). */
export function uniqueTemplateId(): string {
  sequence += 1;
  return `tpl-push-${Date.now().toString(36)}-${process.pid.toString(36)}-${sequence}`;
}

export function popupEvent(
  openid: string,
  items: Array<[templateId: string, status: 'accept' | 'reject']>,
  createTime = nowSeconds(),
): PushEventInput {
  return {
    ToUserName: 'gh_test',
    FromUserName: openid,
    CreateTime: createTime,
    Event: 'subscribe_msg_popup_event',
    List: items.map(([TemplateId, SubscribeStatusString]) => ({ TemplateId, SubscribeStatusString, PopupScene: '0' })),
  };
}

export function changeEvent(openid: string, templateId: string, createTime = nowSeconds()): PushEventInput {
  return {
    ToUserName: 'gh_test',
    FromUserName: openid,
    CreateTime: createTime,
    Event: 'subscribe_msg_change_event',
    List: [{ TemplateId: templateId, SubscribeStatusString: 'reject' }],
  };
}

export function sentEvent(openid: string, templateId: string, msgid: string, errorCode = 0, createTime = nowSeconds()): PushEventInput {
  return {
    ToUserName: 'gh_test',
    FromUserName: openid,
    CreateTime: createTime,
    Event: 'subscribe_msg_sent_event',
    List: [{ TemplateId: templateId, MsgID: msgid, ErrorCode: errorCode, ErrorStatus: errorCode === 0 ? 'success' : 'failed' }],
  };
}

/** Signing for an app configured with PUSH_TOKEN (and PUSH_AES_KEY in the AES modes). */
export function signing(
  appId: string,
  mode: PushMode = 'plaintext',
  format: PushFormat = 'json',
  overrides: Partial<PushSigning> = {},
): PushSigning {
  return { token: PUSH_TOKEN, aesKey: PUSH_AES_KEY, appId, mode, format, ...overrides };
}

/** POSTs a built push to the app's /wechat/push as WeChat would. */
export function postPush(baseUrl: string, push: BuiltPush, contentType = push.contentType) {
  return request(baseUrl).post('/wechat/push').query(push.query).set('Content-Type', contentType).send(push.body);
}

/**
 * The same POST on a bare node:http request, one connection each (as WeChat's pushes come): the
 * load test's client, so that what it times is the callback and not a test client's overhead
 * (client and app share this process).
 */
export function postPushRaw(baseUrl: string, push: BuiltPush): Promise<{ status: number; body: string }> {
  const url = new URL('/wechat/push', baseUrl);
  for (const [key, value] of Object.entries(push.query)) url.searchParams.set(key, value);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: 'POST', agent: false, headers: { 'Content-Type': push.contentType, 'Content-Length': Buffer.byteLength(push.body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(push.body);
  });
}
