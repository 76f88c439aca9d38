// `npm run bench` (= `nest build && node bench/run.mjs`).
//
// In one run: starts a fast fake WeChat, then for each target — the built app on Express, the built app
// on Fastify, and bench/bare-server.mjs (node:http, no framework: the practical limit) — starts it as a
// child process over the same database and store, and measures for a fixed duration each:
//   login  POST /auth/login       every request a fresh code (a new openid each)
//   me     GET  /users/me         a few logged-in tokens, round-robin
//   send   POST /templates/send   the same tokens, {templateId: 'bench-tpl', data: {thing1: {value: 'hello'}}}
// reporting requests/s (2xx only), p50/p99 latency, the child's peak RSS (VmRSS sampled every 100 ms),
// and each app result's ratio to bare. Prints a markdown table and writes it to bench/results.md (one
// section per backend, each run replacing its own section). Exits 0 even when targets are missed.
//
// Backends: DATABASE_URL (mysql://…) and/or REDIS_URL (redis://…) when set; otherwise SQLite in a temp
// file and the in-process store (the app's embedded defaults).
//
// Environment knobs:
//   BENCH_DURATION     seconds measured per endpoint (default 10)
//   BENCH_WARMUP       seconds of unmeasured load before each measurement (default 2; 0 = none)
//   BENCH_CONNECTIONS  concurrent connections (default 50)
//   BENCH_TARGETS      comma list, run in this order (default express,fastify,bare). The app must have run
//                      once against a fresh MySQL database before bare (it migrates the schema).
//   BENCH_ENDPOINTS    comma list of login,me,send (default all three)
//   BENCH_TOOL         autocannon | wrk (default: wrk when on PATH, else autocannon)
//   BENCH_FAKE         inline (default: the fake runs in this process) | process (its own node process)
//   BENCH_PROFILE_DIR  when set, children run with --cpu-prof and write their profiles there
//   BENCH_NODE_ARGS    node flags for the children (app and bare), space-separated; default: the flags of
//                      package.json's start:prod (the heap cap production runs with), so RSS is measured as deployed
//   BENCH_APP          the app's entry point (default dist/main.js), e.g. another build to compare
//   BENCH_LOG_DIR      when set, each child's stdout+stderr is also written to <dir>/<target>.log
//   BENCH_RESULTS      where to write the markdown (default bench/results.md)

import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { startFakeWechat } from './fake-wechat.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const env = process.env;

const DURATION = positiveNumber('BENCH_DURATION', 10);
const WARMUP = nonNegativeNumber('BENCH_WARMUP', 2);
const CONNECTIONS = Math.round(positiveNumber('BENCH_CONNECTIONS', 50));
const TARGETS = list('BENCH_TARGETS', ['express', 'fastify', 'bare'], ['express', 'fastify', 'bare']);
const ENDPOINT_NAMES = list('BENCH_ENDPOINTS', ['login', 'me', 'send'], ['login', 'me', 'send']);
const TOOL = chooseTool();
const FAKE_MODE = env.BENCH_FAKE === 'process' ? 'process' : 'inline';
const PROFILE_DIR = env.BENCH_PROFILE_DIR ? resolve(env.BENCH_PROFILE_DIR) : null;
const NODE_ARGS = (env.BENCH_NODE_ARGS ?? productionNodeArgs()).split(/\s+/).filter(Boolean);
const LOG_DIR = env.BENCH_LOG_DIR ? resolve(env.BENCH_LOG_DIR) : null;
const APP_ENTRY = env.BENCH_APP ? resolve(env.BENCH_APP) : join(ROOT, 'dist', 'main.js');
const RESULTS_FILE = env.BENCH_RESULTS ? resolve(env.BENCH_RESULTS) : join(ROOT, 'bench', 'results.md');
const TOKENS_PER_TARGET = 8;
const SESSION_TTL_SECONDS = 3600; // the bench makes tens of thousands of sessions: let Redis drop them soon
const RSS_SAMPLE_MS = 100;
const RSS_LIMIT_MB = 200;
const CLOCK_TICKS = clockTicks();

/** The node flags of `npm run start:prod` ("node <flags> dist/main.js"). */
function productionNodeArgs() {
  const script = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts?.['start:prod'] ?? '';
  const match = /^node\s+(.*?)\s*dist\/main\.js/.exec(script);
  return match ? match[1] : '';
}
const SEND_BODY = JSON.stringify({ templateId: 'bench-tpl', data: { thing1: { value: 'hello' } } });

/** Ratio to bare that each app target should reach (issue: "Targets to report against"). */
const GOALS = {
  fastify: { login: 0.5, me: 0.6, send: 0.5 },
  express: { login: 0.35, me: 0.15 },
};

const ENDPOINTS = {
  login: {
    label: 'POST /auth/login',
    method: 'POST',
    path: '/auth/login',
    contentType: 'application/json',
    fresh: (n) => JSON.stringify({ code: n }),
  },
  me: { label: 'GET /users/me', method: 'GET', path: '/users/me', authorized: true },
  send: {
    label: 'POST /templates/send',
    method: 'POST',
    path: '/templates/send',
    contentType: 'application/json',
    body: SEND_BODY,
    authorized: true,
  },
};

const RUN_ID = `${Date.now().toString(36)}${process.pid.toString(36)}`;
let codeCounter = 0;
const nextCode = () => `bench-${RUN_ID}-${codeCounter++}`;

// ------------------------------------------------------------------------------------------------

const cleanups = [];
let currentChild = null;
process.once('SIGINT', () => {
  console.error('\ninterrupted: stopping children');
  if (currentChild && currentChild.exitCode === null) currentChild.kill('SIGKILL');
  runCleanups().finally(() => process.exit(130));
});

async function main() {
  if (!existsSync(APP_ENTRY)) throw new Error(`${relative(ROOT, APP_ENTRY)} is missing: run \`npm run build\` (npm run bench does) first`);

  const backend = describeBackend();
  const wechat = FAKE_MODE === 'process' ? await startFakeProcess() : await startFakeWechat();
  cleanups.push(() => wechat.close());

  const started = Date.now();
  const loadBefore = loadavg()[0];
  console.log(
    `bench: ${TARGETS.join(', ')} × ${ENDPOINT_NAMES.join(', ')}; ${DURATION}s each (+${WARMUP}s warm-up), ` +
      `${CONNECTIONS} connections, ${TOOL}; database ${backend.database}, store ${backend.store}; fake WeChat ${wechat.baseUrl} (${FAKE_MODE})`,
  );

  const results = [];
  for (const target of TARGETS) {
    results.push(await benchTarget(target, backend, wechat));
  }
  const elapsed = (Date.now() - started) / 1000;

  const markdown = renderSection(results, backend, elapsed, loadBefore);
  console.log(`\n${markdown}`);
  writeResults(backend, markdown);
  const shown = relative(process.cwd(), RESULTS_FILE);
  console.log(`written to ${shown.startsWith('..') ? RESULTS_FILE : shown}`);
}

// ------------------------------------------------------------------------------------------------
// One target: start it, measure each endpoint, stop it.

async function benchTarget(target, backend, wechat) {
  const port = await freePort();
  // The bench's own environment passes through (NODE_OPTIONS, TZ, other app settings); these are fixed:
  const childEnv = {
    ...env,
    NODE_ENV: 'production',
    PORT: String(port),
    HTTP_ADAPTER: target === 'bare' ? 'express' : target,
    LOG_LEVEL: 'warn',
    THROTTLE_LOGIN_LIMIT: '0',
    SESSION_TTL_SECONDS: String(SESSION_TTL_SECONDS),
    WECHAT_APP_ID: wechat.appId,
    WECHAT_APP_SECRET: wechat.appSecret,
    WECHAT_API_BASE_URL: wechat.baseUrl,
    DATABASE_URL: backend.databaseUrl,
    REDIS_URL: backend.redisUrl ?? '',
  };
  if (!backend.redisUrl) delete childEnv.REDIS_URL;
  const script = target === 'bare' ? join(ROOT, 'bench', 'bare-server.mjs') : APP_ENTRY;
  const nodeArgs = [...NODE_ARGS];
  if (PROFILE_DIR) nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${target}-${RUN_ID}.cpuprofile`);

  const t0 = Date.now();
  const child = spawn(process.execPath, [...nodeArgs, script], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  currentChild = child;
  const output = captureOutput(child, LOG_DIR && join(LOG_DIR, `${target}.log`));
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const rss = new RssSampler(child.pid);
  const base = `http://127.0.0.1:${port}`;
  const row = { target, startupMs: null, endpoints: {}, rss, output, failure: null, exit: null, shutdownMs: null };

  try {
    await waitHealthy(base, exited, 30_000);
    row.startupMs = Date.now() - t0;
    console.log(`\n[${target}] healthy on :${port} after ${row.startupMs} ms (pid ${child.pid}, RSS ${mb(rss.sampleNow())} MB)`);

    const tokens = [];
    for (let i = 0; i < TOKENS_PER_TARGET; i++) tokens.push((await loginOnce(base)).token);

    for (const name of ENDPOINT_NAMES) {
      const endpoint = ENDPOINTS[name];
      try {
        await preflight(base, name, tokens);
      } catch (error) {
        row.endpoints[name] = { failed: error.message };
        console.log(`[${target}] ${endpoint.label}: preflight failed: ${error.message}`);
        continue;
      }
      if (WARMUP > 0) await load(base, name, tokens, WARMUP);
      const callsBefore = wechatCalls(wechat);
      rss.startPhase();
      const cpuBefore = rss.cpuSeconds();
      const result = await load(base, name, tokens, DURATION);
      const cpu = rss.cpuSeconds() - cpuBefore;
      result.peakRssKb = rss.endPhase();
      result.cpuPercent = (100 * cpu) / result.seconds;
      result.cpuUsPerRequest = result.ok > 0 ? (cpu * 1e6) / result.ok : null;
      result.wechatCalls = callsBefore === null ? null : wechatCalls(wechat) - callsBefore;
      row.endpoints[name] = result;
      console.log(
        `[${target}] ${endpoint.label.padEnd(20)} ${fmt(result.rps, 0).padStart(7)} req/s  p50 ${fmt(result.p50, 1)} ms  ` +
          `p99 ${fmt(result.p99, 1)} ms  peak RSS ${mb(result.peakRssKb)} MB  CPU ${fmt(result.cpuPercent, 0)}% (${fmt(result.cpuUsPerRequest, 0)} µs/req)` +
          (result.bad > 0 ? `  (${result.bad} non-2xx/errors: ${result.badDetail})` : '') +
          (result.wechatCalls !== null ? `  [WeChat calls: ${result.wechatCalls}]` : ''),
      );
    }
  } catch (error) {
    row.failure = error.message;
    console.log(`[${target}] FAILED: ${error.message}\n--- last output of ${target} ---\n${output.tail()}\n---`);
  } finally {
    row.hwmKb = rss.highWaterMark();
    rss.stop();
    const stopAt = Date.now();
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    row.exit = await exited;
    clearTimeout(killer);
    row.shutdownMs = Date.now() - stopAt;
    currentChild = null;
    await output.done;
    const clean = row.exit.code === 0;
    console.log(`[${target}] stopped with SIGTERM: ${clean ? 'exit 0' : `exit ${row.exit.code ?? row.exit.signal}`} after ${row.shutdownMs} ms`);
    if (!clean && !row.failure) console.log(`--- last output of ${target} ---\n${output.tail()}\n---`);
  }
  return row;
}

/** One measurement (or warm-up) of `name` against `base`. */
async function load(base, name, tokens, seconds) {
  return TOOL === 'wrk' ? loadWithWrk(base, name, tokens, seconds) : loadWithAutocannon(base, name, tokens, seconds);
}

async function loadWithAutocannon(base, name, tokens, seconds) {
  const endpoint = ENDPOINTS[name];
  const headers = endpoint.contentType ? { 'content-type': endpoint.contentType } : {};
  let requests;
  if (endpoint.fresh) {
    // A fresh body per request: autocannon rebuilds the request each time setupRequest is present.
    requests = [
      {
        method: endpoint.method,
        path: endpoint.path,
        headers,
        setupRequest: (request) => ({ ...request, body: endpoint.fresh(nextCode()) }),
      },
    ];
  } else {
    // Static requests are built once; each connection cycles through the tokens.
    requests = tokens.map((token) => ({
      method: endpoint.method,
      path: endpoint.path,
      headers: { ...headers, authorization: `Bearer ${token}` },
      ...(endpoint.body ? { body: endpoint.body } : {}),
    }));
  }
  const result = await autocannon({ url: base, connections: CONNECTIONS, duration: seconds, timeout: 10, requests });
  const ok = result['2xx'];
  const statuses = Object.entries(result.statusCodeStats ?? {})
    .filter(([status]) => !status.startsWith('2'))
    .map(([status, { count }]) => `${count}×${status}`);
  if (result.errors) statuses.push(`${result.errors} errors`);
  if (result.timeouts) statuses.push(`${result.timeouts} timeouts`);
  return {
    rps: ok / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok,
    bad: result.non2xx + result.errors,
    badDetail: statuses.join(', '),
    seconds: result.duration,
  };
}

// wrk: used when it is on PATH (or BENCH_TOOL=wrk). Lua scripts give each request its token or fresh code.
async function loadWithWrk(base, name, tokens, seconds) {
  const endpoint = ENDPOINTS[name];
  const dir = mkdtempSync(join(tmpdir(), 'bench-wrk-'));
  try {
    const script = join(dir, `${name}.lua`);
    writeFileSync(script, wrkScript(endpoint, tokens));
    const threads = Math.max(1, Math.min(2, cpus().length));
    const args = ['-t', String(threads), '-c', String(Math.max(CONNECTIONS, threads)), '-d', `${seconds}s`, '--timeout', '10s', '--latency', '-s', script, base + endpoint.path];
    const { stdout, stderr, code } = await run('wrk', args);
    if (code !== 0) throw new Error(`wrk exited ${code}: ${stderr.trim() || stdout.trim()}`);
    const summary = /@@bench (\{.*\})/.exec(stdout);
    if (!summary) throw new Error(`could not read wrk's output:\n${stdout}`);
    const s = JSON.parse(summary[1]);
    const bad = s.non2xx + s.errors;
    return {
      rps: (s.requests - bad) / (s.duration_us / 1e6),
      p50: s.p50_us / 1000,
      p99: s.p99_us / 1000,
      ok: s.requests - bad,
      bad,
      badDetail: `${s.non2xx} HTTP ≥ 400, ${s.errors} socket errors/timeouts`,
      seconds: s.duration_us / 1e6,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function wrkScript(endpoint, tokens) {
  const lua = (value) => JSON.stringify(value); // a JSON string literal is a valid Lua string literal here (ASCII only)
  const headerLines = [
    endpoint.contentType ? `wrk.headers["Content-Type"] = ${lua(endpoint.contentType)}` : '',
    `wrk.method = ${lua(endpoint.method)}`,
    endpoint.body ? `wrk.body = ${lua(endpoint.body)}` : '',
  ].join('\n');
  const perRequest = endpoint.fresh
    ? `local prefix = ${lua(`bench-${RUN_ID}-wrk${codeCounter++}-`)}
local counter = 0
thread_id = 0
local next_id = 0
function setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
end
request = function()
  counter = counter + 1
  return wrk.format(nil, nil, nil, '{"code":"' .. prefix .. thread_id .. '-' .. counter .. '"}')
end`
    : `local tokens = { ${tokens.map((t) => lua(`Bearer ${t}`)).join(', ')} }
local i = 0
request = function()
  i = i % #tokens + 1
  wrk.headers["Authorization"] = tokens[i]
  return wrk.format()
end`;
  return `${headerLines}
${perRequest}
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('@@bench {"requests":%d,"duration_us":%d,"errors":%d,"non2xx":%d,"p50_us":%d,"p99_us":%d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, summary.errors.status,
    latency:percentile(50), latency:percentile(99)))
end
`;
}

async function preflight(base, name, tokens) {
  const endpoint = ENDPOINTS[name];
  if (name === 'login') {
    const body = await loginOnce(base);
    if (typeof body.token !== 'string' || typeof body.user?.id !== 'number') throw new Error(`unexpected login answer ${JSON.stringify(body)}`);
    return;
  }
  const response = await fetch(base + endpoint.path, {
    method: endpoint.method,
    headers: { authorization: `Bearer ${tokens[0]}`, ...(endpoint.contentType ? { 'content-type': endpoint.contentType } : {}) },
    body: endpoint.body,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${endpoint.label} → ${response.status} ${text.slice(0, 300)}`);
  const body = JSON.parse(text);
  if (name === 'me' && typeof body.id !== 'number') throw new Error(`unexpected /users/me answer ${text.slice(0, 300)}`);
  if (name === 'send' && !('msgid' in body)) throw new Error(`unexpected /templates/send answer ${text.slice(0, 300)}`);
}

async function loginOnce(base) {
  const response = await fetch(`${base}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code: nextCode() }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`POST /auth/login → ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

async function waitHealthy(base, exited, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let exit = null;
  exited.then((e) => (exit = e));
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (exit) throw new Error(`exited before becoming healthy (${exit.code ?? exit.signal})`);
    try {
      const response = await fetch(`${base}/health`, { signal: AbortSignal.timeout(2000) });
      const text = await response.text();
      if (response.status === 200) return;
      last = `${response.status} ${text.slice(0, 200)}`;
    } catch (error) {
      last = error.cause?.code ?? error.message;
    }
    await sleep(100);
  }
  throw new Error(`GET /health not 200 within ${timeoutMs / 1000}s (last: ${last})`);
}

// ------------------------------------------------------------------------------------------------
// Peak RSS of a child: VmRSS from /proc every 100 ms, overall and per measured phase.

class RssSampler {
  constructor(pid) {
    this.pid = pid;
    this.peakKb = 0;
    this.phasePeakKb = null;
    this.timer = setInterval(() => this.sampleNow(), RSS_SAMPLE_MS);
  }

  read(field) {
    try {
      const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
      return match ? Number(match[1]) : null;
    } catch {
      return null; // not Linux, or the process is gone
    }
  }

  sampleNow() {
    const kb = this.read('VmRSS');
    if (kb !== null) {
      this.peakKb = Math.max(this.peakKb, kb);
      if (this.phasePeakKb !== null) this.phasePeakKb = Math.max(this.phasePeakKb, kb);
    }
    return kb;
  }

  startPhase() {
    this.phasePeakKb = this.sampleNow() ?? 0;
  }

  endPhase() {
    this.sampleNow();
    const peak = this.phasePeakKb;
    this.phasePeakKb = null;
    return peak || null;
  }

  /** User + system CPU time of the process so far, in seconds. */
  cpuSeconds() {
    try {
      const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
    } catch {
      return NaN;
    }
  }

  /** The kernel's own peak (VmHWM): catches spikes between two samples. */
  highWaterMark() {
    return this.read('VmHWM');
  }

  stop() {
    clearInterval(this.timer);
  }
}

// ------------------------------------------------------------------------------------------------
// Report.

function renderSection(results, backend, elapsed, loadBefore) {
  const bare = results.find((r) => r.target === 'bare');
  const lines = [];
  lines.push(`## ${backend.title}`);
  lines.push('');
  lines.push(`- date: ${new Date().toISOString()}`);
  lines.push(`- node ${process.version} on ${cpus().length} × ${cpus()[0]?.model?.trim() ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB; load generator ${TOOL}${TOOL === 'autocannon' ? ' (in the bench process)' : ''}`);
  lines.push(`- app: ${relative(ROOT, APP_ENTRY)}${gitState()} (NODE_ENV=production LOG_LEVEL=warn THROTTLE_LOGIN_LIMIT=0${NODE_ARGS.length ? `, node ${NODE_ARGS.join(' ')}` : ''})`);
  lines.push(`- database: ${backend.database}; store: ${backend.store}; fake WeChat: ${FAKE_MODE === 'inline' ? 'in the bench process' : 'its own process'}`);
  lines.push(`- ${DURATION} s per endpoint after ${WARMUP} s warm-up, ${CONNECTIONS} connections; req/s counts 2xx answers only; whole run ${Math.round(elapsed)} s; machine load average (1 min) ${loadBefore.toFixed(2)} before the run, ${loadavg()[0].toFixed(2)} after`);
  lines.push(`- server CPU: the target process's user+system time during the measurement (100% = one core) and per 2xx answer, with its multiple of bare's CPU per answer (less sensitive than req/s to the load generator's share of the cores); it shares the ${cpus().length} cores with the load generator and the fake`);
  lines.push('');
  lines.push('| target | endpoint | req/s | p50 ms | p99 ms | ratio to bare | peak RSS MB | server CPU | non-2xx / errors |');
  lines.push('|---|---|---:|---:|---:|---|---|---:|---:|');
  const misses = [];
  const unjudged = [];
  for (const row of results) {
    for (const name of ENDPOINT_NAMES) {
      const r = row.endpoints[name];
      const label = ENDPOINTS[name].label;
      if (!r || r.failed) {
        const why = r?.failed ?? row.failure ?? 'not measured';
        lines.push(`| ${row.target} | ${label} | — | — | — | — | — | — | ${escapeCell(why)} |`);
        if (GOALS[row.target]?.[name] !== undefined) misses.push(`${row.target} ${label}: not measured (${why})`);
        continue;
      }
      const goal = GOALS[row.target]?.[name];
      const bareRps = bare?.endpoints[name]?.rps;
      let ratioCell;
      if (row.target === 'bare') ratioCell = '1.00 (the limit)';
      else if (!bareRps) {
        ratioCell = 'n/a (no bare result)';
        if (goal !== undefined) unjudged.push(`${row.target} ${label}`);
      }
      else {
        const ratio = r.rps / bareRps;
        if (goal === undefined) ratioCell = `${ratio.toFixed(2)} (no target)`;
        else if (ratio >= goal) ratioCell = `${ratio.toFixed(2)} ✅ (≥ ${goal})`;
        else {
          ratioCell = `**${ratio.toFixed(2)} ❌ MISS** (≥ ${goal})`;
          misses.push(`${row.target} ${label}: ratio ${ratio.toFixed(2)} < ${goal}`);
        }
      }
      let rssCell = mb(r.peakRssKb);
      if (row.target !== 'bare' && r.peakRssKb) {
        if (r.peakRssKb / 1024 <= RSS_LIMIT_MB) rssCell += ' ✅';
        else {
          rssCell = `**${rssCell} ❌ MISS** (≤ ${RSS_LIMIT_MB})`;
          misses.push(`${row.target} ${label}: peak RSS ${mb(r.peakRssKb)} MB > ${RSS_LIMIT_MB} MB`);
        }
      }
      const bad = r.bad > 0 ? `${r.bad} (${escapeCell(r.badDetail)})` : '0';
      const bareCpu = bare?.endpoints[name]?.cpuUsPerRequest;
      const times = row.target !== 'bare' && bareCpu && r.cpuUsPerRequest ? ` (${(r.cpuUsPerRequest / bareCpu).toFixed(1)}× bare)` : '';
      const cpuCell = Number.isFinite(r.cpuPercent) ? `${fmt(r.cpuPercent, 0)}%, ${fmt(r.cpuUsPerRequest, 0)} µs/req${times}` : '—';
      lines.push(`| ${row.target} | ${label} | ${fmt(r.rps, 0)} | ${fmt(r.p50, 1)} | ${fmt(r.p99, 1)} | ${ratioCell} | ${rssCell} | ${cpuCell} | ${bad} |`);
    }
  }
  lines.push('');
  lines.push(
    'Targets (ratio of req/s to bare): Fastify GET ≥ 0.6, login ≥ 0.5, send ≥ 0.5; Express GET ≥ 0.15, login ≥ 0.35; ' +
      `peak RSS of the app ≤ ${RSS_LIMIT_MB} MB. ` +
      (unjudged.length > 0 ? `Not judged without a bare result: ${unjudged.join(', ')}. ` : '') +
      (misses.length === 0 ? (unjudged.length === 0 ? 'All met.' : 'Nothing else missed.') : `Missed (${misses.length}):`),
  );
  for (const miss of misses) lines.push(`- ${miss}`);
  lines.push('');
  lines.push('| target | startup to healthy | peak RSS (VmHWM) | SIGTERM → exit |');
  lines.push('|---|---:|---:|---|');
  for (const row of results) {
    const exit = row.exit ? (row.exit.code === 0 ? 'exit 0' : `exit ${row.exit.code ?? row.exit.signal}`) : '—';
    const over = row.target !== 'bare' && row.hwmKb && row.hwmKb / 1024 > RSS_LIMIT_MB ? ' ❌' : '';
    lines.push(
      `| ${row.target} | ${row.startupMs === null ? '—' : `${row.startupMs} ms`} | ${row.hwmKb ? `${mb(row.hwmKb)} MB${over}` : '—'} | ${exit} in ${row.shutdownMs ?? '—'} ms |`,
    );
  }
  return lines.join('\n');
}

function writeResults(backend, section) {
  const begin = `<!-- bench:${backend.key} -->`;
  const end = `<!-- /bench:${backend.key} -->`;
  const block = `${begin}\n${section}\n${end}`;
  const header =
    '# Benchmark results\n\nWritten by `npm run bench` (bench/run.mjs): one section per backend, each run replacing its own section.\n' +
    'The bare target is bench/bare-server.mjs (node:http, no framework, the same work per request over the same database and store): the practical limit.\n';
  let text = existsSync(RESULTS_FILE) ? readFileSync(RESULTS_FILE, 'utf8') : header;
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  if (from !== -1 && to > from) text = text.slice(0, from) + block + text.slice(to + end.length);
  else text = `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(RESULTS_FILE, text);
}

// ------------------------------------------------------------------------------------------------
// Setup helpers.

function describeBackend() {
  const databaseUrl = env.DATABASE_URL?.trim() || null;
  const redisUrl = env.REDIS_URL?.trim() || null;
  let database;
  let url;
  if (databaseUrl && !databaseUrl.startsWith('sqlite:')) {
    url = databaseUrl;
    database = `MySQL ${redact(databaseUrl)}`;
  } else if (databaseUrl) {
    url = databaseUrl;
    database = `SQLite ${databaseUrl.slice('sqlite:'.length)}`;
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'bench-'));
    url = `sqlite:${join(dir, `bench-${process.pid}.sqlite`)}`;
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    database = 'SQLite (embedded, temp file)';
  }
  const sqlite = url.startsWith('sqlite:');
  const store = redisUrl ? `Redis ${redact(redisUrl)}` : 'in-process memory (bare: a Map)';
  const key = `${sqlite ? 'sqlite' : 'mysql'}+${redisUrl ? 'redis' : 'memory'}`;
  const title = { 'sqlite+memory': 'Embedded: SQLite + in-process store', 'mysql+redis': 'MySQL + Redis' }[key] ?? key;
  return { databaseUrl: url, redisUrl, database, store, key, title };
}

async function startFakeProcess() {
  const child = spawn(process.execPath, [join(ROOT, 'bench', 'fake-wechat.mjs')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout });
    rl.once('line', (l) => {
      rl.close();
      resolve(l);
    });
    child.once('exit', (code) => reject(new Error(`fake WeChat exited ${code}`)));
  });
  const info = JSON.parse(line);
  return {
    ...info,
    fake: null,
    close: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', resolve);
        child.kill('SIGTERM');
      }),
  };
}

function wechatCalls(wechat) {
  if (!wechat.fake) return null;
  return ['jscode2session', 'stable_token', 'token', 'subscribe_send'].reduce((sum, e) => sum + wechat.fake.calls(e), 0);
}

function captureOutput(child, file) {
  const lines = [];
  let log = null;
  if (file) {
    mkdirSync(dirname(file), { recursive: true });
    log = createWriteStream(file);
  }
  const keep = (data) => {
    log?.write(data);
    for (const line of String(data).split('\n')) {
      if (line.trim() === '') continue;
      lines.push(line);
      if (lines.length > 40) lines.shift();
    }
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const done = Promise.all([
    new Promise((r) => child.stdout.once('close', r)),
    new Promise((r) => child.stderr.once('close', r)),
  ]).then(() => log && new Promise((r) => log.end(r)));
  return { tail: () => lines.join('\n'), done };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function run(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ stdout, stderr, code }));
  });
}

/** ' built from git abc1234' (+ a note when src/ has uncommitted changes), or '' outside git. */
function gitState() {
  const git = (...args) => spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
  const head = git('rev-parse', '--short', 'HEAD');
  if (head.status !== 0) return '';
  const dirty = git('status', '--porcelain', '--', 'src', 'package.json', 'package-lock.json').stdout.trim() !== '';
  return ` from git ${head.stdout.trim()}${dirty ? ' + uncommitted changes in src/ or package.json' : ''}`;
}

function clockTicks() {
  const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const value = Number(out.stdout?.trim());
  return value > 0 ? value : 100;
}

function chooseTool() {
  const wanted = env.BENCH_TOOL?.trim();
  if (wanted === 'autocannon') return 'autocannon';
  const hasWrk = spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error === undefined;
  if (wanted === 'wrk' && !hasWrk) throw new Error('BENCH_TOOL=wrk but wrk is not on PATH');
  return hasWrk ? 'wrk' : 'autocannon';
}

async function runCleanups() {
  while (cleanups.length > 0) {
    try {
      await cleanups.pop()();
    } catch (error) {
      console.error(`cleanup: ${error.message}`);
    }
  }
}

function redact(url) {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

function list(name, fallback, allowed) {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const values = raw.split(',').map((v) => v.trim()).filter(Boolean);
  const unknown = values.filter((v) => !allowed.includes(v));
  if (unknown.length > 0) throw new Error(`${name}: unknown ${unknown.join(', ')} (allowed: ${allowed.join(', ')})`);
  return values;
}

function positiveNumber(name, fallback) {
  const value = env[name] === undefined || env[name] === '' ? fallback : Number(env[name]);
  if (!(value > 0)) throw new Error(`${name} must be a positive number of seconds`);
  return value;
}

function nonNegativeNumber(name, fallback) {
  const value = env[name] === undefined || env[name] === '' ? fallback : Number(env[name]);
  if (!(value >= 0)) throw new Error(`${name} must be a number ≥ 0`);
  return value;
}

function escapeCell(text) {
  return String(text).replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function fmt(value, digits) {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : '—';
}

function mb(kb) {
  return kb ? (kb / 1024).toFixed(1) : '—';
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Last, so that every class and constant above is initialised before main() runs.
try {
  await main();
} finally {
  if (currentChild && currentChild.exitCode === null && currentChild.signalCode === null) currentChild.kill('SIGKILL');
  await runCleanups();
}
