import { type Agent as HttpAgent, type ClientRequest, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Agent } from 'node:http';

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

/**
 * HTTP to WeChat on node:http(s) with keep-alive sockets: a request, its JSON body and the answer's
 * text, within one deadline. What the client needs and no more (axios cost more CPU per call than
 * the rest of a login). Never resends: whether a failed request may be sent again (a token fetch
 * may, a login code may not) is the caller's decision.
 */
export class WechatHttp {
  private readonly base: URL;
  private readonly prefix: string;
  private readonly agent: HttpAgent | HttpsAgent;
  private readonly send: typeof httpRequest;

  constructor(
    baseUrl: string,
    private readonly timeoutMs: number,
  ) {
    this.base = new URL(baseUrl);
    this.prefix = this.base.pathname.replace(/\/+$/, '');
    const https = this.base.protocol === 'https:';
    // With a timeout set, Node closes an idle pooled socket a second before the server's own
    // Keep-Alive timeout hint, instead of reusing one the server is about to close.
    const options = { keepAlive: true, maxSockets: 64, timeout: 30_000 };
    this.agent = https ? new HttpsAgent(options) : new Agent(options);
    this.send = https ? httpsRequest : httpRequest;
  }

  request(request: WechatHttpRequest): Promise<WechatHttpResponse> {
    return this.attempt(request, Date.now() + this.timeoutMs);
  }

  destroy(): void {
    this.agent.destroy();
  }

  private attempt(request: WechatHttpRequest, deadline: number): Promise<WechatHttpResponse> {
    const body = request.data === undefined ? undefined : JSON.stringify(request.data);
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (error: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(error);
      };
      const req: ClientRequest = this.send(
        {
          protocol: this.base.protocol,
          hostname: this.base.hostname,
          port: this.base.port,
          method: request.method,
          path: this.prefix + request.url + query(request.params),
          agent: this.agent,
          headers:
            body === undefined
              ? { accept: 'application/json' }
              : { accept: 'application/json', 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
          });
          response.on('error', (error: NodeJS.ErrnoException) => fail(new WechatHttpError(error.message, error.code ?? 'ECONNRESET')));
          response.on('aborted', () => fail(new WechatHttpError('the answer was cut off', 'ECONNRESET')));
        },
      );
      const timer = setTimeout(
        () => {
          fail(new WechatHttpError(`no answer within ${this.timeoutMs} ms`, 'ETIMEDOUT'));
          req.destroy();
        },
        Math.max(1, deadline - Date.now()),
      );
      req.on('error', (error: NodeJS.ErrnoException) => fail(new WechatHttpError(error.message, error.code ?? 'ECONNRESET')));
      req.end(body);
    });
  }
}

function query(params: WechatHttpRequest['params']): string {
  if (!params) return '';
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined) search.append(name, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}
