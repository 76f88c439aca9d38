import type { MessageLog } from './message-log.entity.js';

/** One delivery-log item as `GET /templates/messages` answers it. */
export interface MessageLogItem {
  id: string;
  openid: string;
  templateId: string;
  page: string | null;
  kind: MessageLog['kind'];
  status: MessageLog['status'];
  errcode: number | null;
  errmsg: string | null;
  msgid: string | null;
  requestedBy: string;
  /** The batch this send belongs to; null for single sends. */
  batchId: string | null;
  createdAt: string;
  /** From WeChat's subscribe_msg_sent_event; null until it arrives. */
  delivery: MessageLog['delivery'];
  deliveryErrcode: number | null;
}

export function toMessageLogItem(row: MessageLog): MessageLogItem {
  return {
    id: String(row.id),
    openid: row.openId,
    templateId: row.templateId,
    page: row.page,
    kind: row.kind,
    status: row.status,
    errcode: row.errcode,
    errmsg: row.errmsg,
    msgid: row.msgid,
    requestedBy: row.requestedBy,
    batchId: row.batchId ?? null,
    createdAt: new Date(row.createdAt).toISOString(),
    delivery: row.delivery,
    deliveryErrcode: row.deliveryErrcode,
  };
}
