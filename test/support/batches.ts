import { setTimeout as sleep } from 'node:timers/promises';
import type { ReceivedMessage } from '../../src/sandbox/fake-wechat.messages.js';
import { uniqueOpenid } from './test-app.js';

export const SERVICE_TOKEN = 'batch-token-0123456789abcdefghijklmnopqrstuvwxyz';
export const SERVICE = `Bearer ${SERVICE_TOKEN}`;
export const SERVICE_TOKENS = `campaigns=${SERVICE_TOKEN}`;

export interface BatchView {
  id: string;
  status: 'queued' | 'running' | 'done' | 'canceled';
  total: number;
  sent: number;
  failed: number;
  unknown: number;
  pending: number;
  createdAt: string;
  finishedAt: string | null;
}

export interface LogItem {
  openid: string;
  status: string;
  errcode: number | null;
  msgid: string | null;
  batchId: string | null;
}

let templateSeq = 0;
/** Template ids are global to a fake; one per test keeps the fake's messages apart. */
export function uniqueTemplate(): string {
  templateSeq += 1;
  return `tpl-batch-${Date.now().toString(36)}-${process.pid.toString(36)}-${templateSeq}`;
}

export function recipients(count: number): Array<{ openid: string }> {
  return Array.from({ length: count }, () => ({ openid: uniqueOpenid() }));
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the specs read whatever JSON a route answered
type JsonBody = any;

export async function api(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: JsonBody }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: SERVICE, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: kept as text
  }
  return { status: response.status, body: parsed };
}

export function consistent(batch: BatchView): boolean {
  return batch.sent + batch.failed + batch.unknown + batch.pending === batch.total;
}

/** Polls GET /templates/batches/{id} (checking the counters add up every time) until `until` holds. */
export async function waitForBatch(bases: string[], id: string, until: (b: BatchView) => boolean, timeoutMs: number): Promise<BatchView> {
  const deadline = Date.now() + timeoutMs;
  let last: BatchView | undefined;
  for (let i = 0; Date.now() < deadline; i += 1) {
    const { status, body } = await api(bases[i % bases.length], 'GET', `/templates/batches/${id}`);
    if (status !== 200) throw new Error(`GET batch answered ${status}: ${JSON.stringify(body)}`);
    last = body as BatchView;
    if (!consistent(last)) throw new Error(`counters do not add up: ${JSON.stringify(last)}`);
    if (until(last)) return last;
    await sleep(200);
  }
  throw new Error(`batch ${id} did not get there within ${timeoutMs} ms: ${JSON.stringify(last)}`);
}

export const settled = (b: BatchView) => b.status === 'done' || (b.status === 'canceled' && b.pending === 0);

/** Every message_log item of a batch, through the batchId filter and the cursor. */
export async function batchLog(base: string, batchId: string): Promise<LogItem[]> {
  const items: LogItem[] = [];
  let cursor: string | null = null;
  do {
    const { status, body } = await api(base, 'GET', `/templates/messages?batchId=${batchId}&limit=100${cursor ? `&cursor=${cursor}` : ''}`);
    if (status !== 200) throw new Error(`GET messages answered ${status}: ${JSON.stringify(body)}`);
    items.push(...(body.items as LogItem[]));
    cursor = body.nextCursor as string | null;
  } while (cursor);
  return items;
}

/** How many times the fake accepted a message for each openid of the template. */
export function receivedCounts(messages: ReceivedMessage[], templateId: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of messages) if (m.templateId === templateId) counts.set(m.touser, (counts.get(m.touser) ?? 0) + 1);
  return counts;
}
