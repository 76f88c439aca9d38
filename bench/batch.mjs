// Batch sending benchmark (issue #15), separate from bench/run.mjs:
//   1. a 10,000-recipient batch through the fake WeChat on two instances over MySQL + Redis, rate limit
//      off (PUSH_RATE_PER_SECOND=0): sends per second in total;
//   2. the same with one instance `kill -9`ed mid-way: no recipient received twice, none lost
//      (sent + failed + unknown = total, unknown ≤ what one instance can have in flight).
// Needs DATABASE_URL=mysql://… and REDIS_URL (or REDIS_CLUSTER_NODES); `npm run bench:batch` builds first.
// Writes its own section of bench/results.md (between <!-- bench:batch --> markers).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort, productionNodeArgs } from './processes.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS = join(ROOT, 'bench', 'results.md');
const TOTAL = Number(process.env.BENCH_BATCH_TOTAL ?? 10_000);
const TOKEN = `bench-${randomBytes(24).toString('hex')}`;
// WORKER_CONCURRENCY (2) chunks × a slice of 50: what one instance can have claimed and not recorded.
const IN_FLIGHT_PER_INSTANCE = 100;
const { DATABASE_URL, REDIS_URL, REDIS_CLUSTER_NODES } = process.env;
if (!/^(mysql|mariadb):\/\//.test(DATABASE_URL ?? '') || !(REDIS_URL || REDIS_CLUSTER_NODES)) {
  console.error('bench/batch.mjs needs DATABASE_URL=mysql://… and REDIS_URL (or REDIS_CLUSTER_NODES)');
  process.exit(2);
}

const { FakeWechatServer } = await import(new URL('../dist/sandbox/fake-wechat.server.js', import.meta.url).href);
const nodeArgs = productionNodeArgs().split(/\s+/).filter(Boolean);

async function startInstance(fake) {
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, join(ROOT, 'dist', 'main.js')], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      DATABASE_URL,
      ...(REDIS_CLUSTER_NODES ? { REDIS_CLUSTER_NODES } : { REDIS_URL }),
      WECHAT_APP_ID: fake.appId,
      WECHAT_APP_SECRET: fake.appSecret,
      WECHAT_API_BASE_URL: fake.baseUrl,
      SERVICE_TOKENS: `bench=${TOKEN}`,
      PUSH_RATE_PER_SECOND: '0',
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (
      (await fetch(`${base}/health`).then(
        (r) => r.status,
        () => 0,
      )) === 200
    )
      break;
    if (Date.now() > deadline) throw new Error('instance did not come up');
    await sleep(100);
  }
  return { base, child, exited };
}

async function api(base, method, path, body) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, body: await response.json() };
}

async function waitDone(base, id, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status, body } = await api(base, 'GET', `/templates/batches/${id}`);
    if (status !== 200) throw new Error(`GET batch: ${status} ${JSON.stringify(body)}`);
    if (body.sent + body.failed + body.unknown + body.pending !== body.total)
      throw new Error(`counters do not add up: ${JSON.stringify(body)}`);
    if (body.status === 'done') return body;
    if (Date.now() > deadline) throw new Error(`not done in time: ${JSON.stringify(body)}`);
    await sleep(100);
  }
}

/** user + system CPU seconds of a process so far (Linux /proc). */
function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

function received(fake, templateId) {
  const counts = new Map();
  for (const m of fake.messages) if (m.templateId === templateId) counts.set(m.touser, (counts.get(m.touser) ?? 0) + 1);
  return counts;
}

function newBatch(tag) {
  const templateId = `bench-batch-${tag}-${Date.now().toString(36)}`;
  const recipients = Array.from({ length: TOTAL }, (_, i) => ({ openid: `ob${Date.now().toString(36)}${tag}${i}` }));
  return { templateId, data: { thing1: { value: 'Flash sale starts' } }, recipients };
}

async function throughputRun(fake) {
  const [a, b] = [await startInstance(fake), await startInstance(fake)];
  try {
    const body = newBatch('t');
    const cpuBefore = [a, b].map((i) => cpuSeconds(i.child.pid));
    const benchCpuBefore = process.cpuUsage();
    const t0 = Date.now();
    const created = await api(a.base, 'POST', '/templates/batches', body);
    const accepted = Date.now() - t0;
    if (created.status !== 202) throw new Error(`POST batch: ${created.status} ${JSON.stringify(created.body)}`);
    const done = await waitDone(b.base, created.body.id, 300_000);
    const seconds = (Date.parse(done.finishedAt) - Date.parse(done.createdAt)) / 1000;
    const appCpu = [a, b].map((i, n) => cpuSeconds(i.child.pid) - cpuBefore[n]).reduce((x, y) => x + y, 0);
    const benchCpuUsage = process.cpuUsage(benchCpuBefore);
    const fakeCpu = (benchCpuUsage.user + benchCpuUsage.system) / 1e6;
    const counts = received(fake, body.templateId);
    const times = fake.messages.filter((m) => m.templateId === body.templateId).map((m) => m.at);
    const sendSeconds = (Math.max(...times) - Math.min(...times)) / 1000;
    return {
      accepted,
      done,
      seconds,
      sendsPerSecond: done.sent / seconds,
      sendingOnly: done.sent / sendSeconds,
      twice: [...counts.values()].filter((n) => n > 1).length,
      receivedDistinct: counts.size,
      appCpuMsPerSend: (appCpu * 1000) / done.sent,
      fakeCpuMsPerSend: (fakeCpu * 1000) / done.sent,
    };
  } finally {
    for (const instance of [a, b]) instance.child.kill('SIGTERM');
    await Promise.all([a.exited, b.exited]);
  }
}

async function killRun(fake) {
  const [a, b] = [await startInstance(fake), await startInstance(fake)];
  try {
    const body = newBatch('k');
    const created = await api(b.base, 'POST', '/templates/batches', body);
    if (created.status !== 202) throw new Error(`POST batch: ${created.status} ${JSON.stringify(created.body)}`);
    while (received(fake, body.templateId).size < TOTAL * 0.3) await sleep(20);
    a.child.kill('SIGKILL');
    const killedAt = Date.now();
    const atKill = received(fake, body.templateId).size;
    await a.exited;
    const done = await waitDone(b.base, created.body.id, 300_000);
    const counts = received(fake, body.templateId);
    const log = [];
    for (let cursor = null; ;) {
      const page = await api(b.base, 'GET', `/templates/messages?batchId=${created.body.id}&limit=100${cursor ? `&cursor=${cursor}` : ''}`);
      log.push(...page.body.items);
      cursor = page.body.nextCursor;
      if (!cursor) break;
    }
    const byStatus = (status) => new Set(log.filter((item) => item.status === status).map((item) => item.openid));
    const sent = byStatus('sent');
    const unknown = byStatus('unknown');
    const receivedNotSent = [...counts.keys()].filter((openid) => !sent.has(openid));
    return {
      atKill,
      recoverySeconds: (Date.now() - killedAt) / 1000,
      done,
      twice: [...counts.values()].filter((n) => n > 1).length,
      logItems: log.length,
      distinctInLog: new Set(log.map((item) => item.openid)).size,
      sentNotReceived: [...sent].filter((openid) => !counts.has(openid)).length,
      receivedNotSent: receivedNotSent.length,
      receivedNotSentNotUnknown: receivedNotSent.filter((openid) => !unknown.has(openid)).length,
    };
  } finally {
    b.child.kill('SIGTERM');
    await b.exited;
  }
}

const fake = await FakeWechatServer.start({ openSubscriptions: true });
const loadBefore = loadavg()[0];
const startedAt = new Date();
console.log(`batch bench: ${TOTAL} recipients, two instances, rate limit off; fake WeChat at ${fake.baseUrl}`);
const t = await throughputRun(fake);
console.log(
  `throughput: ${t.sendsPerSecond.toFixed(0)} sends/s (${t.seconds.toFixed(2)} s from creation to done), ${t.twice} received twice, app CPU ${t.appCpuMsPerSend.toFixed(2)} ms/send, fake ${t.fakeCpuMsPerSend.toFixed(2)} ms/send`,
);
const k = await killRun(fake);
console.log(`kill -9: ${JSON.stringify(k)}`);
const loadAfter = loadavg()[0];
await fake.close();

const ok = (cond) => (cond ? '✅' : '❌');
const section = `<!-- bench:batch -->
## Batch sending (bench/batch.mjs)

- date: ${startedAt.toISOString()}; node ${process.version} on ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB
- two instances of dist/main.js (node ${nodeArgs.join(' ')}, NODE_ENV=production LOG_LEVEL=warn, PUSH_RATE_PER_SECOND=0) over ${REDIS_CLUSTER_NODES ? 'MySQL + a Redis Cluster' : 'MySQL + Redis'}; the fake WeChat in the bench process
- machine load average (1 min): ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after — the machine is shared (other sessions build and test on the same 2 cores), so the numbers are a floor, not a ceiling
- ${TOTAL} recipients per batch; the batch is accepted (202) after its rows are stored and its chunks queued

| run | result |
|---|---|
| accept (POST /templates/batches, ${TOTAL} recipients) | ${t.accepted} ms |
| throughput, creation → done | **${t.sendsPerSecond.toFixed(0)} sends/s** ${ok(t.sendsPerSecond >= 1000)} (target ≥ 1,000/s): ${t.done.sent} sent in ${t.seconds.toFixed(2)} s; first to last send at the fake ${t.sendingOnly.toFixed(0)}/s |
| CPU per send | the two instances ${t.appCpuMsPerSend.toFixed(2)} ms (user + system), the fake WeChat and this bench ${t.fakeCpuMsPerSend.toFixed(2)} ms; MySQL and Redis not counted (shared with other sessions). At that cost the instances alone need ${t.appCpuMsPerSend.toFixed(2)} s of CPU per 1,000 sends: 1,000 sends/s takes ${(t.appCpuMsPerSend * 100).toFixed(0)}% of one core |
| throughput: received twice | ${t.twice} ${ok(t.twice === 0)} (distinct received ${t.receivedDistinct}) |
| kill -9 of one instance at ${k.atKill} received | done ${k.recoverySeconds.toFixed(1)} s after the kill (the other instance takes the dead one's chunks once their lock expires: ≤ 10 s + 5 s) |
| kill -9: counters | sent ${k.done.sent} + failed ${k.done.failed} + unknown ${k.done.unknown} = ${k.done.sent + k.done.failed + k.done.unknown} of ${k.done.total} ${ok(k.done.sent + k.done.failed + k.done.unknown === k.done.total && k.done.pending === 0)} |
| kill -9: received twice | ${k.twice} ${ok(k.twice === 0)} |
| kill -9: lost (no message_log item) | ${k.done.total - k.distinctInLog} ${ok(k.logItems === k.done.total && k.distinctInLog === k.done.total)} (${k.logItems} items) |
| kill -9: unknown ≤ in flight on the dead instance (${IN_FLIGHT_PER_INSTANCE}) | ${k.done.unknown} ${ok(k.done.unknown <= IN_FLIGHT_PER_INSTANCE)}; received but not \`sent\`: ${k.receivedNotSent}, all of them \`unknown\` ${ok(k.receivedNotSentNotUnknown === 0)}; \`sent\` but never received: ${k.sentNotReceived} ${ok(k.sentNotReceived === 0)} |

`;
const current = readFileSync(RESULTS, 'utf8');
const marker = /<!-- bench:batch -->[\s\S]*?(?=<!-- bench:|$)/;
writeFileSync(RESULTS, marker.test(current) ? current.replace(marker, section) : `${current.trimEnd()}\n\n${section}`);
console.log(`written to ${RESULTS}`);
