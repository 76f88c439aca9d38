import request from 'supertest';
import { buildPush, type BuiltPush, type PushEventInput, type PushItemInput, type PushSigning } from '../../src/sandbox/fake-wechat.push.js';

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

export function popupEvent(openid: string, items: Array<[templateId: string, status: 'accept' | 'reject']>, createTime = nowSeconds()): PushEventInput {
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
export function signing(appId: string, mode: PushMode = 'plaintext', format: PushFormat = 'json', overrides: Partial<PushSigning> = {}): PushSigning {
  return { token: PUSH_TOKEN, aesKey: PUSH_AES_KEY, appId, mode, format, ...overrides };
}

/** POSTs a built push to the app's /wechat/push as WeChat would. */
export function postPush(baseUrl: string, push: BuiltPush, contentType = push.contentType) {
  return request(baseUrl).post('/wechat/push').query(push.query).set('Content-Type', contentType).send(push.body);
}
