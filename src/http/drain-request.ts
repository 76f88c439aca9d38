import type { IncomingMessage } from 'node:http';

const DRAIN_LIMIT_BYTES = 64 * 1024 * 1024;
const DRAIN_LIMIT_MS = 10_000;

/**
 * Reads and discards the rest of a request body the app refused (413), so that the client, still
 * sending, can finish and read the answer: closing a socket with unread data makes the kernel
 * reset it, and the client sees EPIPE / ECONNRESET instead of the 413. Express's body parser does
 * the same; Fastify answers at once and closes. A client sending more than the limits is cut off.
 */
export function drainRequest(request: IncomingMessage): Promise<void> {
  if (request.complete || request.readableEnded || request.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let received = 0;
    const finish = () => {
      clearTimeout(timer);
      request.off('data', onData).off('end', finish).off('close', finish).off('error', finish);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > DRAIN_LIMIT_BYTES) finish();
    };
    const timer = setTimeout(finish, DRAIN_LIMIT_MS);
    request.on('data', onData).once('end', finish).once('close', finish).once('error', finish);
    request.resume();
  });
}
