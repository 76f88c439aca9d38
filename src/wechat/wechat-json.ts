/** WeChat's msgid is an int64: a number when it fits a JS number exactly, else its digits as a string. */
export type Msgid = number | string | null;

export type WechatBody = Record<string, unknown> & { errcode?: number; errmsg?: string };

/** JSON.parse that keeps an int64 msgid intact by reading it as a string first. */
export function parseWechatJson(text: string): WechatBody | null {
  try {
    const parsed: unknown = JSON.parse(text.replace(/("msgid"\s*:\s*)(-?\d+)/g, '$1"$2"'));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as WechatBody) : null;
  } catch {
    return null;
  }
}

export function toMsgid(raw: unknown): Msgid {
  if (typeof raw === 'number') return raw;
  if (typeof raw !== 'string' || raw === '') return null;
  const asNumber = Number(raw);
  return Number.isSafeInteger(asNumber) ? asNumber : raw;
}
