import { randomBytes } from 'node:crypto';
import { PushCipher, pushSignature } from '../push/push.crypto.js';

/**
 * Builds message pushes as WeChat sends them to a mini-program's callback (wechat-api.md §7-8):
 * plaintext, compatible or safe mode, JSON or XML, signed with the console's Token. Used by the
 * fake (sandbox pushes, sent events after a send) and by tests, which also use it to forge bad ones.
 */
export type PushMode = 'plaintext' | 'compatible' | 'safe';
export type PushBodyFormat = 'json' | 'xml';

export interface PushItemInput {
  TemplateId: string;
  SubscribeStatusString?: string;
  PopupScene?: string;
  /** int64 as decimal text; written as a bare JSON number, as WeChat does. */
  MsgID?: string;
  ErrorCode?: number;
  ErrorStatus?: string;
}

export interface PushEventInput {
  ToUserName: string;
  FromUserName: string;
  /** Unix seconds. */
  CreateTime: number;
  Event: string;
  List: PushItemInput[];
}

export interface PushSigning {
  token: string;
  /** The EncodingAESKey; required in compatible and safe mode. */
  aesKey?: string | null;
  /** The appid written into the ciphertext. */
  appId: string;
  mode?: PushMode;
  format?: PushBodyFormat;
  /** JSON `List`: WeChat writes an object for one item, an array for several ('auto'). */
  listShape?: 'auto' | 'object' | 'array';
  /** Unix seconds; default now. */
  timestamp?: number;
  nonce?: string;
}

export interface BuiltPush {
  query: Record<string, string>;
  body: string;
  contentType: string;
}

const XML_CONTAINERS: Record<string, string> = {
  subscribe_msg_popup_event: 'SubscribeMsgPopupEvent',
  subscribe_msg_change_event: 'SubscribeMsgChangeEvent',
  subscribe_msg_sent_event: 'SubscribeMsgSentEvent',
};

export function buildPush(event: PushEventInput, signing: PushSigning): BuiltPush {
  const mode = signing.mode ?? 'plaintext';
  const format = signing.format ?? 'json';
  const timestamp = String(signing.timestamp ?? Math.floor(Date.now() / 1000));
  const nonce = signing.nonce ?? String(randomBytes(4).readUInt32BE());
  const plain = format === 'json' ? eventJson(event, signing.listShape ?? 'auto') : eventXml(event);
  const query: Record<string, string> = {
    signature: pushSignature(signing.token, timestamp, nonce),
    timestamp,
    nonce,
    openid: event.FromUserName,
  };
  const contentType = format === 'json' ? 'application/json' : 'text/xml';
  if (mode === 'plaintext') return { query, body: plain, contentType };

  if (!signing.aesKey) throw new Error(`${mode} mode needs an EncodingAESKey`);
  const encrypted = new PushCipher(signing.aesKey).encrypt(plain, signing.appId);
  query['encrypt_type'] = 'aes';
  query['msg_signature'] = pushSignature(signing.token, timestamp, nonce, encrypted);
  let body: string;
  if (format === 'json') {
    body =
      mode === 'safe'
        ? JSON.stringify({ ToUserName: event.ToUserName, Encrypt: encrypted })
        : `${plain.slice(0, -1)},"Encrypt":${JSON.stringify(encrypted)}}`;
  } else {
    body =
      mode === 'safe'
        ? `<xml>${cdata('ToUserName', event.ToUserName)}${cdata('Encrypt', encrypted)}</xml>`
        : plain.replace(/<\/xml>$/, `${cdata('Encrypt', encrypted)}</xml>`);
  }
  return { query, body, contentType };
}

/** The event as WeChat's JSON format writes it: numbers bare, MsgID an int64 literal beyond 2^53. */
export function eventJson(event: PushEventInput, listShape: 'auto' | 'object' | 'array' = 'auto'): string {
  const items = event.List.map((item) => {
    const out: Record<string, unknown> = { ...item };
    if (item.MsgID !== undefined) out['MsgID'] = `@int64:${item.MsgID}`;
    return out;
  });
  const single = listShape === 'object' || (listShape === 'auto' && items.length === 1);
  const json = JSON.stringify({
    ToUserName: event.ToUserName,
    FromUserName: event.FromUserName,
    CreateTime: event.CreateTime,
    MsgType: 'event',
    Event: event.Event,
    List: single ? items[0] : items,
  });
  // JSON.stringify cannot write an integer beyond 2^53: the digits go in by hand.
  return json.replace(/"@int64:(-?\d+)"/g, '$1');
}

export function eventXml(event: PushEventInput): string {
  const items = event.List.map((item) => {
    let xml = cdata('TemplateId', item.TemplateId);
    if (item.SubscribeStatusString !== undefined) xml += cdata('SubscribeStatusString', item.SubscribeStatusString);
    if (item.PopupScene !== undefined) xml += `<PopupScene>${item.PopupScene}</PopupScene>`;
    if (item.MsgID !== undefined) xml += `<MsgID>${item.MsgID}</MsgID>`;
    if (item.ErrorCode !== undefined) xml += `<ErrorCode>${item.ErrorCode}</ErrorCode>`;
    if (item.ErrorStatus !== undefined) xml += cdata('ErrorStatus', item.ErrorStatus);
    return `<List>${xml}</List>`;
  });
  const container = XML_CONTAINERS[event.Event] ?? 'List';
  return (
    `<xml>${cdata('ToUserName', event.ToUserName)}${cdata('FromUserName', event.FromUserName)}` +
    `<CreateTime>${event.CreateTime}</CreateTime>${cdata('MsgType', 'event')}${cdata('Event', event.Event)}` +
    `<${container}>${items.join('')}</${container}></xml>`
  );
}

function cdata(name: string, value: string): string {
  return `<${name}><![CDATA[${value.replaceAll(']]>', ']]]]><![CDATA[>')}]]></${name}>`;
}

/** POSTs a built push to a callback URL; resolves with WeChat's view of the answer. */
export async function deliverPush(url: string, push: BuiltPush, timeoutMs = 5000): Promise<{ status: number; body: string }> {
  const target = new URL(url);
  for (const [key, value] of Object.entries(push.query)) target.searchParams.set(key, value);
  const response = await fetch(target, {
    method: 'POST',
    headers: { 'Content-Type': push.contentType },
    body: push.body,
    signal: AbortSignal.timeout(timeoutMs),
  });
  return { status: response.status, body: await response.text() };
}
