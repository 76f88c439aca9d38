import type { IncomingMessage } from 'node:http';
import { Rejection } from './fake-wechat.errors.js';

export type JsonObject = Record<string, unknown>;

const MAX_BODY_BYTES = 1 << 20;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The whole body as text; null when it is too large or the client went away. */
export function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size <= MAX_BODY_BYTES ? Buffer.concat(chunks).toString('utf8') : null));
    // Aborted requests never emit 'end'; a later resolve is a no-op.
    req.on('close', () => resolve(null));
    req.on('error', () => resolve(null));
  });
}

/** The body as a JSON object, else 47001 "data format error" (also for a non-JSON content type). */
export function jsonBody(req: IncomingMessage, raw: string | null): JsonObject {
  const contentType = req.headers['content-type'] ?? '';
  if (raw === null || !/^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i.test(contentType)) throw new Rejection(47001);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Rejection(47001);
  }
  if (!isObject(parsed)) throw new Rejection(47001);
  return parsed;
}
