import type { PushFields, PushValue } from './push-message.parser.js';

export const POPUP_EVENT = 'subscribe_msg_popup_event';
export const CHANGE_EVENT = 'subscribe_msg_change_event';
export const SENT_EVENT = 'subscribe_msg_sent_event';

/** One `List` item of a subscribe-message event (wechat-api.md §8). */
export interface PushItem {
  templateId: string;
  /** `accept` | `reject` (popup and change events). */
  status: string;
  /** Sent events: the int64 msgid as decimal text. */
  msgId: string;
  /** Sent events: 0 when delivered. */
  errorCode: number | null;
  errorStatus: string;
}

/** What a push says, whatever its format and mode. */
export interface PushEvent {
  toUserName: string;
  fromUserName: string;
  createTime: string;
  msgType: string;
  event: string;
  /** Top-level MsgId/MsgID of message pushes (not of subscribe events), '' when absent. */
  msgId: string;
  items: PushItem[];
}

// XML nests the items under an element named after the event; JSON puts `List` at the top.
const XML_CONTAINERS: Record<string, string> = {
  [POPUP_EVENT]: 'SubscribeMsgPopupEvent',
  [CHANGE_EVENT]: 'SubscribeMsgChangeEvent',
  [SENT_EVENT]: 'SubscribeMsgSentEvent',
};

export function toPushEvent(fields: PushFields): PushEvent {
  const event = text(fields['Event']);
  const container = fields[XML_CONTAINERS[event] ?? ''];
  const list = isFields(container) && container['List'] !== undefined ? container['List'] : fields['List'];
  return {
    toUserName: text(fields['ToUserName']),
    fromUserName: text(fields['FromUserName']),
    createTime: text(fields['CreateTime']),
    msgType: text(fields['MsgType']),
    event,
    msgId: text(fields['MsgId'] ?? fields['MsgID']),
    // JSON: an object for one item, an array for several; XML: always a list (the parser sees to it).
    items: (Array.isArray(list) ? list : list === undefined ? [] : [list]).filter(isFields).map(toItem),
  };
}

function toItem(item: PushFields): PushItem {
  const code = text(item['ErrorCode']);
  return {
    templateId: text(item['TemplateId']),
    status: text(item['SubscribeStatusString']),
    msgId: text(item['MsgID'] ?? item['MsgId']),
    errorCode: /^-?\d{1,9}$/.test(code) ? Number(code) : null,
    errorStatus: text(item['ErrorStatus']),
  };
}

function isFields(value: PushValue | undefined): value is PushFields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: PushValue | undefined): string {
  return typeof value === 'string' ? value : '';
}
