import type { Dispatcher } from 'undici';
// Pool alone, not undici's index: the index also loads fetch, WebSocket, caches and mocks, which this
// client never uses (~3 MB of heap and ~9 MB of RSS more).
import Pool from 'undici/lib/dispatcher/pool.js';
import { withinDeadline } from '../common/deadline.js';

export interface WechatHttpRequest {
  method: 'GET' | 'POST';
  /** Path under the base URL, e.g. '/sns/jscode2session'. */
  url: string;
  /** Query parameters (undefined ones are left out), URL-encoded. */
  params?: Record<string, string | number | boolean | undefined>;
  /** Sent as JSON (undefined fields are left out, as JSON.stringify does). */
  data?: unknown;
}

export interface WechatHttpResponse {
  status: number;
  text: string;
}

/** Why a request failed before WeChat answered: `code` is 'ETIMEDOUT' for the deadline, else the socket's error code. */
export class WechatHttpError extends Error {
  override name = 'WechatHttpError';
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

// undici's own timeouts (connect, headers, body) are deadlines missed too.
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
const JSON_HEADERS = { accept: 'application/json', 'content-type': 'application/json' };
const ACCEPT_JSON = { accept: 'application/json' };

/**
 * HTTP to WeChat over undici's pool of keep-alive sockets: a request, its JSON body and the answer's
 * text, within one deadline. undici's dispatch API with a handler of callbacks rather than
 * node:http's ClientRequest and IncomingMessage streams: measured, ~27 against ~52 µs of CPU per
 * call (bench/results.md); axios cost more than either. Never resends (undici retries nothing
 * without a retry handler, and one request per socket is never pipelined): whether a failed request
 * may be sent again (a token fetch may, a login code may not) is the caller's decision.
 */
export class WechatHttp {
  private readonly prefix: string;
  private readonly pool: Pool;

  constructor(
    baseUrl: string,
    private readonly timeoutMs: number,
  ) {
    const base = new URL(baseUrl);
    this.prefix = base.pathname.replace(/\/+$/, '');
    // Idle sockets are closed before the server's own Keep-Alive hint runs out (undici's default).
    this.pool = new Pool(base.origin, { connections: 64, connectTimeout: timeoutMs });
  }

  request(request: WechatHttpRequest): Promise<WechatHttpResponse> {
    const body = request.data === undefined ? undefined : JSON.stringify(request.data);
    const options: Dispatcher.DispatchOptions = {
      method: request.method,
      path: this.prefix + request.url + query(request.params),
      headers: body === undefined ? ACCEPT_JSON : JSON_HEADERS,
      body,
    };
    const exchange = new Exchange();
    return withinDeadline(
      () => exchange.send(this.pool, options),
      this.timeoutMs,
      () => exchange.expire(new WechatHttpError(`no answer within ${this.timeoutMs} ms`, 'ETIMEDOUT')),
    );
  }

  destroy(): void {
    this.pool.destroy().catch(() => undefined);
  }
}

/** One request and its answer. Past the deadline it is aborted, or never written when still queued. */
class Exchange implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | null = null;
  private expired: WechatHttpError | null = null;
  private status = 0;
  private readonly chunks: Buffer[] = [];
  private resolve!: (response: WechatHttpResponse) => void;
  private reject!: (error: Error) => void;

  send(pool: Pool, options: Dispatcher.DispatchOptions): Promise<WechatHttpResponse> {
    return new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
      pool.dispatch(options, this);
    });
  }

  expire(error: WechatHttpError): WechatHttpError {
    this.expired = error;
    this.controller?.abort(error);
    return error;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.expired) controller.abort(this.expired);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number): void {
    this.status = statusCode;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    this.resolve({ status: this.status, text: Buffer.concat(this.chunks).toString('utf8') });
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error & { code?: string }): void {
    if (error instanceof WechatHttpError) this.reject(error);
    else this.reject(new WechatHttpError(error.message, TIMEOUT_CODES.has(error.code ?? '') ? 'ETIMEDOUT' : (error.code ?? 'ECONNRESET')));
  }
}

function query(params: WechatHttpRequest['params']): string {
  if (!params) return '';
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined) search.append(name, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}
