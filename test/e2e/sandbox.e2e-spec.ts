import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { BUILT_DIR, buildOnce } from '../support/built-app.js';
import { freePort, waitFor } from '../support/service-processes.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/** The built app as `npm run start:prod` runs it (same heap caps), with only the given environment. */
function startBuilt(env: Record<string, string>) {
  const child = spawn('node', ['--max-old-space-size=128', '--max-semi-space-size=16', `${BUILT_DIR}/main.js`], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  child.stdout?.on('data', (chunk) => (output.stdout += chunk));
  child.stderr?.on('data', (chunk) => (output.stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output, exited };
}

function memoryOf(child: ChildProcess): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
  return { rssMb: Math.round(kb('VmRSS') / 1024), peakMb: Math.round(kb('VmHWM') / 1024) };
}

describe('sandbox mode (the built-in fake WeChat)', () => {
  beforeAll(() => buildOnce(), 150_000);

  it.each([
    ['a MySQL DATABASE_URL', { DATABASE_URL: 'mysql://root@127.0.0.1:3306/any' }],
    ['REDIS_URL', { REDIS_URL: 'redis://127.0.0.1:6379/0' }],
    ['WECHAT_SANDBOX=false', { WECHAT_SANDBOX: 'false' }],
  ])(
    'is refused at start with %s and no WECHAT_APP_ID: exit non-zero, one line naming WECHAT_APP_ID',
    async (_what, env) => {
      const app = startBuilt({ ...env, PORT: String(await freePort()) });
      const code = await app.exited;
      expect(code).not.toBe(0);
      const lines = app.output.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('WECHAT_APP_ID');
      expect(app.output.stdout).toBe('');
    },
    30_000,
  );

  it('keeps its memory bounded: 3,000 sends of 30 KB leave the process alive under 300 MB RSS', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sandbox-memory-'));
    const port = await freePort();
    const app = startBuilt({ PORT: String(port), DATABASE_URL: `sqlite:${join(dir, 'app.sqlite')}` });
    const base = `http://127.0.0.1:${port}`;
    try {
      await waitFor(async () => (await fetch(`${base}/health`)).status === 200, 'the sandbox app', 30_000);
      const login = await fetch(`${base}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code: 'any-code-at-all' }),
      });
      expect(login.status).toBe(200);
      const { token } = (await login.json()) as { token: string };
      // 30 keywords of 1,000 characters: the largest data a send accepts, ~30 KB per request.
      const data = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`keyword${i + 1}`, { value: `${i}`.padEnd(1000, 'x') }]));
      const statuses = new Map<number, number>();
      let next = 0;
      const started = Date.now();
      const worker = async () => {
        while (next < 3000) {
          next += 1;
          const res = await fetch(`${base}/templates/send`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: token },
            body: JSON.stringify({ templateId: 'tpl-big', formId: `form-${next}`, data }),
          });
          await res.arrayBuffer();
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        }
      };
      await Promise.all(Array.from({ length: 8 }, worker));
      const memory = memoryOf(app.child);
      process.stdout.write(
        `sandbox: 3000 sends of 30 KB in ${Date.now() - started} ms, RSS ${memory.rssMb} MB, peak ${memory.peakMb} MB\n`,
      );
      expect(Object.fromEntries(statuses)).toEqual({ 200: 3000 });
      expect(app.child.exitCode).toBeNull();
      expect(memory.peakMb).toBeLessThan(300);
      const health = await fetch(`${base}/health`);
      expect(health.status).toBe(200);
      expect(((await health.json()) as { info: { wechat: unknown } }).info.wechat).toEqual({ status: 'up', mode: 'sandbox' });
    } finally {
      app.child.kill('SIGKILL');
      await app.exited;
      await rm(dir, { recursive: true, force: true });
    }
  }, 240_000);
});

describe('WECHAT_SANDBOX=true with the configured MySQL/Redis', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      env: { WECHAT_APP_ID: undefined, WECHAT_APP_SECRET: undefined, WECHAT_API_BASE_URL: undefined, WECHAT_SANDBOX: 'true' },
    });
  });
  afterAll(() => t.close());

  it('runs the fake on purpose: any code logs in, and /health says mode sandbox', async () => {
    const login = await request(t.url)
      .post('/auth/login')
      .send({ code: `sandbox-${Date.now()}` })
      .expect(200);
    expect(login.body.user.openid).toMatch(/^o/);
    const health = await request(t.url).get('/health').expect(200);
    expect(health.body.info.wechat).toEqual({ status: 'up', mode: 'sandbox' });
  });
});
