import { execFile } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { startTestApp, type TestApp } from '../support/test-app.js';

const run = promisify(execFile);
const SERVICE_TOKEN = 's'.repeat(40);

interface Outcome {
  status: number;
  body: string;
  /** Any error the client saw (EPIPE, ECONNRESET), also after the answer arrived. */
  errors: string[];
  /** Bytes of the body the client managed to hand to its socket. */
  written: number;
}

/**
 * Node's own http client sending the body in `chunk`-byte pieces `pauseMs` apart, as a client on a
 * real network does; it settles once it has sent everything (or failed) and read the answer.
 */
function postWithNodeHttp(url: string, path: string, body: Buffer, chunk: number, pauseMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const outcome: Outcome = { status: 0, body: '', errors: [], written: 0 };
    let answered = false;
    let sent = false;
    const settle = () => {
      if (answered && sent) setTimeout(() => resolve(outcome), 200);
    };
    const req = httpRequest(
      `${url}${path}`,
      { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': body.length } },
      (res) => {
        outcome.status = res.statusCode ?? 0;
        res.setEncoding('utf8');
        res.on('data', (text: string) => (outcome.body += text));
        res.on('end', () => {
          answered = true;
          settle();
        });
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => {
      outcome.errors.push(error.code ?? error.message);
      answered = true;
      sent = true;
      settle();
    });
    void (async () => {
      for (let offset = 0; offset < body.length && !req.destroyed; offset += chunk) {
        const piece = body.subarray(offset, offset + chunk);
        if (!req.write(piece)) await new Promise((r) => req.once('drain', r));
        outcome.written += piece.length;
        if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
      }
      req.end();
      sent = true;
      settle();
    })();
  });
}

function nested(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

describe('hostile request bodies and parameters', () => {
  let t: TestApp;
  let big: string;
  beforeAll(async () => {
    t = await startTestApp({ env: { SERVICE_TOKENS: `crm=${SERVICE_TOKEN}` } });
    big = join(tmpdir(), `big-body-${process.pid}.json`);
    await writeFile(big, JSON.stringify({ code: 'x'.repeat(2 * 1024 * 1024) }));
  });
  afterAll(async () => {
    await t.close();
    await rm(big, { force: true });
  });

  it.each([
    ['in one write', 2, 2 * 1024 * 1024, 0],
    ['in 64 KB pieces 1 ms apart', 2, 64 * 1024, 1],
    ['in 16 KB pieces 1 ms apart', 2, 16 * 1024, 1],
    ['of 20 MB in one write', 20, 20 * 1024 * 1024, 0],
  ])(
    "answers a login body over the limit (%s) with a 413 that Node's http client reads after sending it all",
    async (_how, megabytes, chunk, pauseMs) => {
      const body = Buffer.from(JSON.stringify({ code: 'x'.repeat(megabytes * 1024 * 1024) }));
      const res = await postWithNodeHttp(t.url, '/auth/login', body, chunk, pauseMs);
      expect(res.errors).toEqual([]);
      expect(res.written).toBe(body.length);
      expect(res.status).toBe(413);
      expect(JSON.parse(res.body)).toMatchObject({ statusCode: 413, code: 'PAYLOAD_TOO_LARGE' });
    },
  );

  it('answers a 2 MB login body with a 413 that curl can read', async () => {
    const { stdout } = await run('curl', [
      '-sS',
      '--limit-rate',
      '4M',
      '-H',
      'Content-Type: application/json',
      '--data-binary',
      `@${big}`,
      '-w',
      '\n%{http_code}',
      `${t.url}/auth/login`,
    ]);
    const [text, status] = stdout.split('\n');
    expect(status).toBe('413');
    expect(JSON.parse(text)).toMatchObject({ statusCode: 413, code: 'PAYLOAD_TOO_LARGE' });
  });

  it('answers JSON nested 1,500 deep with 400, and 65 deep too; the app stays up', async () => {
    for (const path of ['/auth/login', '/templates/send']) {
      for (const depth of [1500, 65]) {
        const res = await request(t.url)
          .post(path)
          .set('Authorization', SERVICE_TOKEN)
          .set('Content-Type', 'application/json')
          .send(nested(depth));
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED' });
      }
    }
    const arrays = await request(t.url)
      .post('/auth/login')
      .set('Content-Type', 'application/json')
      .send(`${'['.repeat(1500)}${']'.repeat(1500)}`);
    expect(arrays.status).toBe(400);
    await request(t.url).get('/health').expect(200);
  });

  it('says a non-string code must be a string', async () => {
    for (const code of [123, ['a'], { a: 1 }, true]) {
      const res = await request(t.url).post('/auth/login').send({ code }).expect(400);
      expect(res.body).toEqual({ statusCode: 400, code: 'VALIDATION_FAILED', message: 'code must be a string' });
    }
  });

  const messages = (query: string) => request(t.url).get(`/templates/messages?${query}`).set('Authorization', SERVICE_TOKEN);

  it('takes since/until as RFC 3339 only', async () => {
    for (const bad of [
      '20990101',
      '2099-W01',
      '2099-001',
      '2026-12-01T08:00:00',
      '2026-12-01T08:00',
      '2026-02-30',
      '2026-12-01 08:00:00Z',
      'yesterday',
    ]) {
      for (const field of ['since', 'until']) {
        const res = await messages(`${field}=${encodeURIComponent(bad)}`);
        expect({ bad, field, status: res.status }).toEqual({ bad, field, status: 400 });
        expect(res.body.message).toContain(`${field} must be an RFC 3339 date`);
      }
    }
    for (const good of ['2026-12-01', '2026-12-01T08:00:00Z', '2026-12-01T08:00:00.123+08:00', '2026-12-01T08:00:00-05:30']) {
      await messages(`since=${encodeURIComponent(good)}&until=${encodeURIComponent(good)}`).expect(200);
    }
  });

  it('says limit must be an integer, and rejects 0x10', async () => {
    const abc = await messages('limit=abc').expect(400);
    expect(abc.body.message).toBe('limit must be an integer number');
    for (const bad of ['0x10', '1e1', '1.5', '-1', '0', '101', '']) {
      const res = await messages(`limit=${encodeURIComponent(bad)}`);
      expect({ bad, status: res.status }).toEqual({ bad, status: 400 });
    }
    await messages('limit=16').expect(200);
  });
});
