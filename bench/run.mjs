// `npm run bench` (= `nest build && node bench/run.mjs`).
//
// In one run: starts a fast fake WeChat, then for each target — the built app on Express, the built app
// on Fastify, bench/bare-server.mjs (node:http, no framework: the practical limit), bench/nest-floor.mjs
// (an empty Nest route on Fastify behind a guard doing one Redis read: the framework's floor, GET only,
// when Redis is used) and the Python original (../shared/peers/python-original, when python3-tornado &
// co. are installed) — starts it as a child process over the same database server and store, and
// measures for a fixed duration each:
//   login    POST /auth/login     every request a fresh code (a new openid each: the first-login path)
//   relogin  POST /auth/login     every request a fresh code of one of 1,000 returning users (the fake's
//                                 sandbox codes `user:<name>:<n>`): the repeat-login path, no SQL in the app
//   me     GET  /users/me         a few logged-in tokens, round-robin
//   send   POST /templates/send   the same tokens, {templateId: 'bench-tpl', data: {thing1: {value: 'hello'}}}
// reporting requests/s (2xx only), p50/p99 latency, the child's peak RSS (VmRSS sampled every 100 ms) and
// its CPU time per answer (user+system from /proc/<pid>/stat over the measurement ÷ 2xx answers), judged
// against the targets of issue 12 (CPU µs per answer, req/s ahead of the Python original, RSS). Prints
// markdown tables and writes them to bench/results.md (one section per backend and Node major version,
// each run replacing its own section). Exits 0 even when targets are missed.
//
// The app and bare run on the Node that runs this script: the machine's by default; to measure the Docker
// image's runtime (Node 24), put its bin directory first on PATH (.ci/prepare-node.sh fetches it).
//
// The Python original speaks its own dialect: login takes {"js_code"} and answers 204 with the token
// only in the Authorization header; send is its legacy form_id template send (it has no guard on it).
// It runs on its own database (<DATABASE_URL's db>_python, created with its schema.sql) and the same
// Redis. Every target gets the token as a bare `Authorization: <token>` header, which all accept.
//
// A new target: an entry in TARGET_SPECS (how to start it, how to tell it is up, its request dialect).
// A new endpoint: an entry in ENDPOINTS (and in CPU_GOALS if it has a target).
//
// Backends: DATABASE_URL (mysql://…) and/or REDIS_URL (redis://…) when set; otherwise SQLite in a temp
// file and the in-process store (the app's embedded defaults).
//
// Environment knobs:
//   BENCH_DURATION     seconds measured per endpoint and round (default 10)
//   BENCH_ROUNDS       measurements per endpoint, back to back (default 3); the round with the median CPU
//                      per answer is reported, with the lowest and highest beside it (runs here vary by ±30%)
//   BENCH_WARMUP       seconds of unmeasured load before each endpoint's measurements (default 10: V8 is
//                      still compiling the app's hot paths in its first seconds under load; 0 = none)
//   BENCH_CONNECTIONS  concurrent connections (default 50)
//   BENCH_TARGETS      comma list, run in this order (default express,fastify,bare,nest-floor,python). The app
//                      must have run once against a fresh MySQL database before bare (it migrates the schema).
//   BENCH_PYTHON       the Python interpreter for the original (default /usr/bin/python3)
//   BENCH_ENDPOINTS    comma list of login,relogin,me,send (default all four)
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
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { startFakeWechat } from './fake-wechat.mjs';
import { freePort, productionNodeArgs } from './processes.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const env = process.env;

const DURATION = positiveNumber('BENCH_DURATION', 10);
const ROUNDS = Math.round(positiveNumber('BENCH_ROUNDS', 3));
const WARMUP = nonNegativeNumber('BENCH_WARMUP', 10);
const CONNECTIONS = Math.round(positiveNumber('BENCH_CONNECTIONS', 50));
const ALL_TARGETS = ['express', 'fastify', 'bare', 'nest-floor', 'python'];
const TARGETS = list('BENCH_TARGETS', ALL_TARGETS, ALL_TARGETS);
const PYTHON = env.BENCH_PYTHON || '/usr/bin/python3';
const PYTHON_DIR = resolve(fileURLToPath(new URL('../../shared/peers/python-original', import.meta.url)));
const ENDPOINT_NAMES = list('BENCH_ENDPOINTS', ['login', 'relogin', 'me', 'send'], ['login', 'relogin', 'me', 'send']);
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

const SEND_BODY = JSON.stringify({ templateId: 'bench-tpl', data: { thing1: { value: 'hello' } } });

/** Issue 12's targets: CPU µs per answer of the app on each adapter; req/s ahead of the Python original; RSS. */
const CPU_GOALS = {
  express: { login: 600, relogin: 600, me: 190, send: 550 },
  fastify: { login: 380, relogin: 380, me: 60, send: 380 },
};
const APP_TARGETS = ['express', 'fastify'];
// relogin: how many users log in again and again (each one's first login falls in the warm-up).
const RETURNING_USERS = 1000;

const ENDPOINTS = {
  login: {
    label: 'POST /auth/login',
    method: 'POST',
    path: '/auth/login',
    contentType: 'application/json',
    fresh: (n) => JSON.stringify({ code: n }),
    python: { fresh: (n) => JSON.stringify({ js_code: n }) },
  },
  relogin: {
    label: 'POST /auth/login (returning user)',
    method: 'POST',
    path: '/auth/login',
    contentType: 'application/json',
    returningUsers: RETURNING_USERS,
    fresh: (n) => JSON.stringify({ code: n }),
    python: { fresh: (n) => JSON.stringify({ js_code: n }) },
  },
  me: { label: 'GET /users/me', method: 'GET', path: '/users/me', authorized: true },
  send: {
    label: 'POST /templates/send',
    method: 'POST',
    path: '/templates/send',
    contentType: 'application/json',
    body: SEND_BODY,
    authorized: true,
    // The original's legacy template send: {form_id}, no guard, an empty 200.
    python: { body: JSON.stringify({ form_id: 'bench-form-id' }) },
  },
};

/** The endpoint as `target` is asked it (the Python original has its own dialect). */
function endpointFor(target, name) {
  const endpoint = ENDPOINTS[name];
  return { ...endpoint, ...(TARGET_SPECS[target].dialect === 'python' ? endpoint.python : {}) };
}

const RUN_ID = `${Date.now().toString(36)}${process.pid.toString(36)}`;
let codeCounter = 0;
const nextCode = (endpoint) => {
  const n = codeCounter++;
  const code = `bench-${RUN_ID}-${n}`;
  return endpoint?.returningUsers ? `user:bench-${RUN_ID}-u${n % endpoint.returningUsers}:${code}` : code;
};

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
  if (TARGETS.includes('python') && !pythonUnavailable(backend)) backend.python = await preparePythonDatabase(backend);

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

/**
 * How to run each target: `launch` gives the command, its arguments, working directory and environment;
 * `probe` is the path that answers once it is up (any status counts for `probeAnyStatus`); `dialect`
 * picks the requests it understands; `skip` says why it cannot run here (or null).
 */
const TARGET_SPECS = {
  express: { launch: (ctx) => nodeLaunch(APP_ENTRY, ctx, 'express'), probe: '/health', skip: () => null },
  fastify: { launch: (ctx) => nodeLaunch(APP_ENTRY, ctx, 'fastify'), probe: '/health', skip: () => null },
  bare: { launch: (ctx) => nodeLaunch(join(ROOT, 'bench', 'bare-server.mjs'), ctx, 'express'), probe: '/health', skip: () => null },
  'nest-floor': {
    launch: (ctx) => nodeLaunch(join(ROOT, 'bench', 'nest-floor.mjs'), ctx, 'fastify'),
    probe: '/health',
    endpoints: ['me'],
    skip: (backend) => (backend.redisUrl ? null : 'it needs REDIS_URL'),
  },
  python: {
    dialect: 'python',
    probe: '/users/me',
    probeAnyStatus: true,
    skip: (backend) => pythonUnavailable(backend),
    launch: ({ port, backend, wechat }) => ({
      command: PYTHON,
      args: ['seed_app.py'],
      cwd: PYTHON_DIR,
      env: {
        PATH: env.PATH,
        PORT: String(port),
        HOST: '127.0.0.1',
        WECHAT_API_BASE_URL: wechat.baseUrl,
        WECHAT_APPID: wechat.appId,
        WECHAT_SECRET: wechat.appSecret,
        REDIS_URL: backend.redisUrl,
        DATABASE_URL: backend.python.url,
      },
    }),
  },
};

/** Whether a target serves an endpoint: all of them unless its spec lists the ones it does. */
function serves(target, name) {
  const { endpoints } = TARGET_SPECS[target];
  return !endpoints || endpoints.includes(name);
}

function nodeLaunch(script, { port, backend, wechat, target }, adapter) {
  const nodeArgs = [...NODE_ARGS];
  if (PROFILE_DIR) nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${target}-${RUN_ID}.cpuprofile`);
  // The bench's own environment passes through (NODE_OPTIONS, TZ, other app settings); these are fixed:
  const childEnv = {
    ...env,
    NODE_ENV: 'production',
    PORT: String(port),
    HTTP_ADAPTER: adapter,
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
  return { command: process.execPath, args: [...nodeArgs, script], cwd: ROOT, env: childEnv };
}

async function benchTarget(target, backend, wechat) {
  const spec = TARGET_SPECS[target];
  const skipped = spec.skip(backend);
  if (skipped) {
    console.log(`\n[${target}] not run: ${skipped}`);
    return { target, skipped, endpoints: {} };
  }
  const port = await freePort();
  const launch = spec.launch({ port, backend, wechat, target });

  const t0 = Date.now();
  const child = spawn(launch.command, launch.args, { cwd: launch.cwd, env: launch.env, stdio: ['ignore', 'pipe', 'pipe'] });
  currentChild = child;
  const output = captureOutput(child, LOG_DIR && join(LOG_DIR, `${target}.log`));
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const rss = new RssSampler(child.pid);
  const base = `http://127.0.0.1:${port}`;
  const row = { target, startupMs: null, endpoints: {}, rss, output, failure: null, exit: null, shutdownMs: null };

  try {
    await waitHealthy(base, spec, exited, 30_000);
    row.startupMs = Date.now() - t0;
    console.log(`\n[${target}] healthy on :${port} after ${row.startupMs} ms (pid ${child.pid}, RSS ${mb(rss.sampleNow())} MB)`);

    const tokens = [];
    for (let i = 0; i < TOKENS_PER_TARGET; i++) tokens.push((await loginOnce(base, target)).token);

    for (const name of ENDPOINT_NAMES) {
      if (!serves(target, name)) continue;
      const endpoint = endpointFor(target, name);
      try {
        await preflight(base, target, name, tokens);
      } catch (error) {
        row.endpoints[name] = { failed: error.message };
        console.log(`[${target}] ${endpoint.label}: preflight failed: ${error.message}`);
        continue;
      }
      if (WARMUP > 0) await load(base, endpoint, tokens, WARMUP);
      const rounds = [];
      for (let round = 0; round < ROUNDS; round++) {
        const callsBefore = wechatCalls(wechat);
        rss.startPhase();
        const cpuBefore = rss.cpuSeconds();
        const measured = await load(base, endpoint, tokens, DURATION);
        const cpuAfter = rss.cpuSeconds();
        const cpu = cpuAfter.total - cpuBefore.total;
        const system = cpuAfter.system - cpuBefore.system;
        measured.peakRssKb = rss.endPhase();
        measured.cpuPercent = (100 * cpu) / measured.seconds;
        measured.cpuUsPerRequest = measured.ok > 0 ? (cpu * 1e6) / measured.ok : null;
        measured.systemUsPerRequest = measured.ok > 0 ? (system * 1e6) / measured.ok : null;
        measured.wechatCalls = callsBefore === null ? null : wechatCalls(wechat) - callsBefore;
        rounds.push(measured);
      }
      const result = medianRound(rounds);
      row.endpoints[name] = result;
      console.log(
        `[${target}] ${endpoint.label.padEnd(20)} ${fmt(result.rps, 0).padStart(7)} req/s  p50 ${fmt(result.p50, 1)} ms  ` +
          `p99 ${fmt(result.p99, 1)} ms  peak RSS ${mb(result.peakRssKb)} MB  CPU ${fmt(result.cpuPercent, 0)}% (${fmt(result.cpuUsPerRequest, 0)} µs/req${spread(result)})` +
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
    console.log(
      `[${target}] stopped with SIGTERM: ${clean ? 'exit 0' : `exit ${row.exit.code ?? row.exit.signal}`} after ${row.shutdownMs} ms`,
    );
    if (!clean && !row.failure) console.log(`--- last output of ${target} ---\n${output.tail()}\n---`);
  }
  return row;
}

/**
 * The round with the median CPU per answer, as the endpoint's result (its req/s and latencies go with
 * it); the lowest and highest CPU per answer of all rounds beside it, and the peak RSS of all of them.
 */
function medianRound(rounds) {
  const sorted = [...rounds].sort((a, b) => (a.cpuUsPerRequest ?? Infinity) - (b.cpuUsPerRequest ?? Infinity));
  const median = sorted[Math.floor((sorted.length - 1) / 2)];
  return {
    ...median,
    rounds: rounds.length,
    cpuUsRange: [sorted[0].cpuUsPerRequest, sorted[sorted.length - 1].cpuUsPerRequest],
    peakRssKb: Math.max(...rounds.map((r) => r.peakRssKb ?? 0)),
    bad: rounds.reduce((sum, r) => sum + r.bad, 0),
    badDetail: rounds
      .map((r) => r.badDetail)
      .filter(Boolean)
      .join('; '),
  };
}

function spread(result) {
  if (!result.cpuUsRange || result.rounds < 2) return '';
  return `, rounds ${fmt(result.cpuUsRange[0], 0)}–${fmt(result.cpuUsRange[1], 0)}`;
}

/** One measurement (or warm-up) of `name` against `base`. */
async function load(base, endpoint, tokens, seconds) {
  return TOOL === 'wrk' ? loadWithWrk(base, endpoint, tokens, seconds) : loadWithAutocannon(base, endpoint, tokens, seconds);
}

async function loadWithAutocannon(base, endpoint, tokens, seconds) {
  const headers = endpoint.contentType ? { 'content-type': endpoint.contentType } : {};
  let requests;
  if (endpoint.fresh) {
    // A fresh body per request: autocannon rebuilds the request each time setupRequest is present.
    requests = [
      {
        method: endpoint.method,
        path: endpoint.path,
        headers,
        setupRequest: (request) => ({ ...request, body: endpoint.fresh(nextCode(endpoint)) }),
      },
    ];
  } else {
    // Static requests are built once; each connection cycles through the tokens.
    requests = tokens.map((token) => ({
      method: endpoint.method,
      path: endpoint.path,
      headers: { ...headers, authorization: token },
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
async function loadWithWrk(base, endpoint, tokens, seconds) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-wrk-'));
  try {
    const script = join(dir, 'requests.lua');
    writeFileSync(script, wrkScript(endpoint, tokens));
    const threads = Math.max(1, Math.min(2, cpus().length));
    const args = [
      '-t',
      String(threads),
      '-c',
      String(Math.max(CONNECTIONS, threads)),
      '-d',
      `${seconds}s`,
      '--timeout',
      '10s',
      '--latency',
      '-s',
      script,
      base + endpoint.path,
    ];
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
  // The body of a fresh-code request in the target's own dialect ({"code"} or the original's {"js_code"}).
  const [bodyHead, bodyTail] = endpoint.fresh ? endpoint.fresh('@@CODE@@').split('@@CODE@@') : [];
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
  local code = prefix .. thread_id .. '-' .. counter
  ${endpoint.returningUsers ? `code = ${lua(`user:bench-${RUN_ID}-u`)} .. (counter % ${endpoint.returningUsers}) .. ':' .. code` : ''}
  return wrk.format(nil, nil, nil, ${lua(bodyHead)} .. code .. ${lua(bodyTail)})
end`
    : `local tokens = { ${tokens.map((t) => lua(t)).join(', ')} }
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

async function preflight(base, target, name, tokens) {
  const endpoint = endpointFor(target, name);
  if (name === 'login' || name === 'relogin') {
    const body = await loginOnce(base, target, endpoint);
    if (typeof body.token !== 'string') throw new Error(`unexpected login answer ${JSON.stringify(body)}`);
    return;
  }
  const response = await fetch(base + endpoint.path, {
    method: endpoint.method,
    headers: { authorization: tokens[0], ...(endpoint.contentType ? { 'content-type': endpoint.contentType } : {}) },
    body: endpoint.body,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (response.status < 200 || response.status > 299) throw new Error(`${endpoint.label} → ${response.status} ${text.slice(0, 300)}`);
  if (TARGET_SPECS[target].dialect === 'python') return;
  const body = JSON.parse(text);
  if (name === 'me' && typeof body.id !== 'number') throw new Error(`unexpected /users/me answer ${text.slice(0, 300)}`);
  if (name === 'send' && !('msgid' in body)) throw new Error(`unexpected /templates/send answer ${text.slice(0, 300)}`);
}

/** One login with a fresh code: {token, ...} (the Python original: 204, the token only in the header). */
async function loginOnce(base, target, endpoint = endpointFor(target, 'login')) {
  const response = await fetch(`${base}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: endpoint.fresh(nextCode(endpoint)),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (response.status === 204) return { token: response.headers.get('authorization') };
  if (response.status !== 200) throw new Error(`POST /auth/login → ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

async function waitHealthy(base, spec, exited, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let exit = null;
  exited.then((e) => (exit = e));
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (exit) throw new Error(`exited before becoming healthy (${exit.code ?? exit.signal})`);
    try {
      const response = await fetch(base + spec.probe, { signal: AbortSignal.timeout(2000) });
      const text = await response.text();
      if (response.status === 200 || spec.probeAnyStatus) return;
      last = `${response.status} ${text.slice(0, 200)}`;
    } catch (error) {
      last = error.cause?.code ?? error.message;
    }
    await sleep(100);
  }
  throw new Error(`GET ${spec.probe} not 200 within ${timeoutMs / 1000}s (last: ${last})`);
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

  /** CPU time of the process so far, in seconds: user + system (total), and system alone (the kernel's part). */
  cpuSeconds() {
    try {
      const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const system = Number(fields[12]) / CLOCK_TICKS;
      return { total: Number(fields[11]) / CLOCK_TICKS + system, system };
    } catch {
      return { total: NaN, system: NaN };
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
  const byTarget = Object.fromEntries(results.map((r) => [r.target, r]));
  const python = byTarget.python;
  const lines = [];
  lines.push(`## ${backend.title}`);
  lines.push('');
  lines.push(`- date: ${new Date().toISOString()}`);
  lines.push(
    `- node ${process.version} on ${cpus().length} × ${cpus()[0]?.model?.trim() ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB; load generator ${TOOL}${TOOL === 'autocannon' ? ' (in the bench process)' : ''}`,
  );
  lines.push(
    `- app: ${relative(ROOT, APP_ENTRY)}${gitState()} (NODE_ENV=production LOG_LEVEL=warn THROTTLE_LOGIN_LIMIT=0${NODE_ARGS.length ? `, node ${NODE_ARGS.join(' ')}` : ''})`,
  );
  lines.push(
    `- database: ${backend.database}${backend.python ? ` (the Python original: ${backend.python.name})` : ''}; store: ${backend.store}; fake WeChat: ${FAKE_MODE === 'inline' ? 'in the bench process' : 'its own process'}`,
  );
  lines.push(
    `- ${ROUNDS} × ${DURATION} s per endpoint, back to back, after ${WARMUP} s warm-up; each cell is the round with the median CPU per answer (the CPU column gives all rounds' range); ${CONNECTIONS} connections; req/s counts 2xx answers only; whole run ${Math.round(elapsed)} s; machine load average (1 min) ${loadBefore.toFixed(2)} before the run, ${loadavg()[0].toFixed(2)} after`,
  );
  lines.push(
    `- CPU per answer: the target process's user+system time during the measurement (/proc/<pid>/stat) ÷ its 2xx answers; less sensitive than req/s to other load on the machine. "Of it, kernel" is the system-time part (socket writes and reads: loopback TCP to the client, the database, the store and the fake). It shares the ${cpus().length} cores with the load generator and the fake`,
  );
  lines.push(
    `- login: a fresh code per request (a new user each: the first-login path, with its INSERT); login (returning user): a fresh code per request for one of ${RETURNING_USERS} users who logged in before (no SQL in the app; their sessions reach SESSION_MAX_PER_USER, so each login also ends the oldest); me and send: ${TOKENS_PER_TARGET} logged-in tokens, round-robin`,
  );
  if (TARGETS.includes('nest-floor'))
    lines.push(
      `- nest-floor: bench/nest-floor.mjs, ${env.NEST_FLOOR_ADD ? `with NEST_FLOOR_ADD=${env.NEST_FLOOR_ADD}` : 'nothing added (NEST_FLOOR_ADD unset)'}`,
    );
  for (const row of results) if (row.skipped) lines.push(`- ${row.target}: not run (${row.skipped})`);
  lines.push('');

  // Side by side: one row per endpoint, one column per target.
  const shown = results.filter((r) => !r.skipped);
  lines.push(`| endpoint | ${shown.map((r) => r.target).join(' | ')} |`);
  lines.push(`|---|${shown.map(() => '---:').join('|')}|`);
  for (const name of ENDPOINT_NAMES) {
    const cells = shown.map((row) => {
      const r = row.endpoints[name];
      return r && !r.failed ? `${fmt(r.rps, 0)} req/s, ${fmt(r.cpuUsPerRequest, 0)} µs` : '—';
    });
    lines.push(`| ${ENDPOINTS[name].label} | ${cells.join(' | ')} |`);
  }
  lines.push('');

  lines.push(
    '| target | endpoint | req/s | p50 ms | p99 ms | vs Python req/s | peak RSS MB | CPU µs per answer | of it, kernel | CPU | non-2xx / errors |',
  );
  lines.push('|---|---|---:|---:|---:|---|---|---|---:|---:|---:|');
  const misses = [];
  const met = [];
  for (const row of shown) {
    const app = APP_TARGETS.includes(row.target);
    for (const name of ENDPOINT_NAMES) {
      const r = row.endpoints[name];
      const label = ENDPOINTS[name].label;
      if (!serves(row.target, name)) continue;
      if (!r || r.failed) {
        const why = r?.failed ?? row.failure ?? 'not measured';
        lines.push(`| ${row.target} | ${label} | — | — | — | — | — | — | — | — | ${escapeCell(why)} |`);
        if (app) misses.push(`${row.target} ${label}: not measured (${why})`);
        continue;
      }
      const judge = (ok, text) => {
        (ok ? met : misses).push(`${row.target} ${label}: ${text}`);
        return ok ? '✅' : '❌ MISS';
      };
      const pyRps = python?.endpoints?.[name]?.rps;
      let vsPython = '—';
      if (row.target !== 'python' && pyRps) {
        const ratio = r.rps / pyRps;
        vsPython = `${ratio.toFixed(2)}×`;
        if (app) vsPython += ` ${judge(ratio > 1, `req/s ${fmt(r.rps, 0)} vs Python ${fmt(pyRps, 0)}`)}`;
      }
      let rssCell = mb(r.peakRssKb);
      if (app && r.peakRssKb)
        rssCell += ` ${judge(r.peakRssKb / 1024 <= RSS_LIMIT_MB, `peak RSS ${mb(r.peakRssKb)} MB (≤ ${RSS_LIMIT_MB})`)}`;
      let cpuCell = fmt(r.cpuUsPerRequest, 0) + (r.rounds > 1 ? ` (${fmt(r.cpuUsRange[0], 0)}–${fmt(r.cpuUsRange[1], 0)})` : '');
      const goal = CPU_GOALS[row.target]?.[name];
      if (goal !== undefined && Number.isFinite(r.cpuUsPerRequest)) {
        cpuCell += ` ${judge(r.cpuUsPerRequest <= goal, `CPU ${fmt(r.cpuUsPerRequest, 0)} µs per answer (≤ ${goal})`)} (≤ ${goal})`;
      }
      const bad = r.bad > 0 ? `${r.bad} (${escapeCell(r.badDetail)})` : '0';
      lines.push(
        `| ${row.target} | ${label} | ${fmt(r.rps, 0)} | ${fmt(r.p50, 1)} | ${fmt(r.p99, 1)} | ${vsPython} | ${rssCell} | ${cpuCell} | ${fmt(r.systemUsPerRequest, 0)} | ${fmt(r.cpuPercent, 0)}% | ${bad} |`,
      );
    }
  }
  lines.push('');
  lines.push(
    `Targets (issue 12): CPU µs per answer — express login (both rows) ≤ ${CPU_GOALS.express.login}, GET ≤ ${CPU_GOALS.express.me}, send ≤ ${CPU_GOALS.express.send}; ` +
      `fastify login (both rows) ≤ ${CPU_GOALS.fastify.login}, GET ≤ ${CPU_GOALS.fastify.me}, send ≤ ${CPU_GOALS.fastify.send}; req/s ahead of the Python original on every endpoint on both adapters` +
      `${python && !python.skipped ? '' : ' (not judged: the Python original did not run)'}; peak RSS ≤ ${RSS_LIMIT_MB} MB. ` +
      (misses.length === 0 ? `All ${met.length} met.` : `Met ${met.length}, missed ${misses.length}:`),
  );
  for (const miss of misses) lines.push(`- ${miss}`);
  lines.push('');
  lines.push('| target | startup to answering | peak RSS (VmHWM) | SIGTERM → exit |');
  lines.push('|---|---:|---:|---|');
  for (const row of shown) {
    const exit = row.exit ? (row.exit.code === 0 ? 'exit 0' : `exit ${row.exit.code ?? row.exit.signal}`) : '—';
    lines.push(
      `| ${row.target} | ${row.startupMs === null ? '—' : `${row.startupMs} ms`} | ${row.hwmKb ? `${mb(row.hwmKb)} MB` : '—'} | ${exit} in ${row.shutdownMs ?? '—'} ms |`,
    );
  }
  return lines.join('\n');
}

function writeResults(backend, section) {
  const begin = `<!-- bench:${backend.key} -->`;
  const end = `<!-- /bench:${backend.key} -->`;
  const block = `${begin}\n${section}\n${end}`;
  const header =
    '# Benchmark results\n\nWritten by `npm run bench` (bench/run.mjs): one section per backend and Node major version, each run replacing its own section.\n' +
    'The bare target is bench/bare-server.mjs (node:http, no framework, the same work per request over the same database and store): the practical limit. ' +
    'The nest-floor target is bench/nest-floor.mjs (an empty Nest route on Fastify behind a guard doing one Redis read; GET /users/me only): the framework floor. ' +
    'The python target is the original service (../shared/peers/python-original), run as it is.\n';
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
  const kind = `${sqlite ? 'sqlite' : 'mysql'}+${redisUrl ? 'redis' : 'memory'}`;
  const title = { 'sqlite+memory': 'Embedded: SQLite + in-process store', 'mysql+redis': 'MySQL + Redis' }[kind] ?? kind;
  const node = process.versions.node.split('.')[0];
  return { databaseUrl: url, redisUrl, database, store, kind, key: `${kind}@node${node}`, title: `${title}, Node ${node}` };
}

/** Why the Python original cannot run here, or null. */
function pythonUnavailable(backend) {
  if (backend.kind !== 'mysql+redis') return 'the Python original needs MySQL and Redis (set DATABASE_URL=mysql://… and REDIS_URL)';
  if (!existsSync(join(PYTHON_DIR, 'seed_app.py'))) return `${PYTHON_DIR}/seed_app.py not found`;
  const check = spawnSync(PYTHON, ['-c', 'import tornado, redis, sqlalchemy, pymysql, requests'], { encoding: 'utf8' });
  if (check.status !== 0) {
    return `${PYTHON} lacks its modules (apt-get install -y python3-tornado python3-redis python3-sqlalchemy python3-pymysql python3-requests)`;
  }
  return null;
}

/** Its own database beside the app's (<db>_python), with the original's schema.sql. */
async function preparePythonDatabase(backend) {
  const url = new URL(backend.databaseUrl.replace(/^mariadb:/, 'mysql:'));
  const name = `${url.pathname.slice(1)}_python`;
  const { default: mysql } = await import('mysql2/promise');
  const connection = await mysql.createConnection({ uri: url.toString(), multipleStatements: true });
  try {
    await connection.query(`CREATE DATABASE IF NOT EXISTS \`${name}\` CHARACTER SET utf8mb4`);
    await connection.query(`USE \`${name}\``);
    await connection.query(readFileSync(join(PYTHON_DIR, 'schema.sql'), 'utf8'));
  } finally {
    await connection.end();
  }
  const auth = url.username ? `${url.username}${url.password ? `:${url.password}` : ''}@` : '';
  return { url: `mysql+pymysql://${auth}${url.host}/${name}`, name };
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
  const done = Promise.all([new Promise((r) => child.stdout.once('close', r)), new Promise((r) => child.stderr.once('close', r))]).then(
    () => log && new Promise((r) => log.end(r)),
  );
  return { tail: () => lines.join('\n'), done };
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
  const values = raw
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
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
