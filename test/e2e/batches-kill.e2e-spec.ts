import { FakeWechatServer } from '../../src/sandbox/fake-wechat.server.js';
import { describeWithServices } from '../support/backends.js';
import { api, batchLog, receivedCounts, recipients, SERVICE_TOKENS, settled, uniqueTemplate, waitForBatch } from '../support/batches.js';
import { type BuiltApp, buildOnce, startBuiltApp } from '../support/built-app.js';
import { waitFor } from '../support/service-processes.js';

const DATA = { thing1: { value: 'Flash sale starts' } };
// The most one instance has claimed and not recorded: WORKER_CONCURRENCY chunks × a slice of 50.
const IN_FLIGHT_PER_INSTANCE = 2 * 50;

describeWithServices({ mysql: true, redis: true }, 'batches when an instance dies or stops mid-batch (built app, own processes)', () => {
  let fake: FakeWechatServer;
  const instances: BuiltApp[] = [];

  beforeAll(async () => {
    await buildOnce();
    fake = await FakeWechatServer.start({ openSubscriptions: true });
  }, 150_000);
  afterAll(async () => {
    for (const instance of instances) instance.child.kill('SIGKILL');
    await fake?.close();
  });

  async function startInstance(): Promise<BuiltApp> {
    const instance = await startBuiltApp(fake, {
      WECHAT_TIMEOUT_MS: '10000',
      SERVICE_TOKENS,
      PUSH_RATE_PER_SECOND: '500',
      LOG_LEVEL: 'error',
    });
    instances.push(instance);
    return instance;
  }

  async function activeHere(instance: BuiltApp): Promise<number> {
    const res = await api(instance.base, 'GET', '/health');
    return res.body.info.batchQueue.activeHere as number;
  }

  it('kill -9 of one instance mid-batch: no recipient twice, none lost, unknown only among the sends in flight', async () => {
    const a = await startInstance();
    const b = await startInstance();
    fake.setLatency(20);
    const total = 3000;
    const templateId = uniqueTemplate();
    const created = await api(a.base, 'POST', '/templates/batches', { templateId, data: DATA, recipients: recipients(total) });
    expect(created.status).toBe(202);

    await waitFor(
      async () => receivedCounts(fake.messages, templateId).size >= 600 && (await activeHere(a)) > 0,
      'instance A mid-batch',
      30_000,
    );
    a.child.kill('SIGKILL');
    expect(await a.exited).toBeNull();
    const atKill = receivedCounts(fake.messages, templateId).size;
    expect(atKill).toBeLessThan(total);

    // B finds A's chunks stalled (lock 10 s + check every 5 s) and finishes the batch.
    const done = await waitForBatch([b.base], created.body.id, settled, 120_000);
    fake.setLatency(0);
    expect(done.status).toBe('done');
    expect(done.pending).toBe(0);
    expect(done.sent + done.failed + done.unknown).toBe(total);
    expect(done.unknown).toBeLessThanOrEqual(IN_FLIGHT_PER_INSTANCE);

    const counts = receivedCounts(fake.messages, templateId);
    expect([...counts.values()].every((n) => n === 1)).toBe(true); // nobody twice
    const log = await batchLog(b.base, created.body.id);
    expect(log).toHaveLength(total); // nobody lost: one item per recipient
    const byStatus = new Map<string, string[]>();
    for (const item of log) byStatus.set(item.status, [...(byStatus.get(item.status) ?? []), item.openid]);
    // Every "sent" reached WeChat; what reached WeChat and is not "sent" was in flight on A: "unknown".
    expect((byStatus.get('sent') ?? []).every((openid) => counts.has(openid))).toBe(true);
    const unknown = new Set(byStatus.get('unknown') ?? []);
    for (const openid of counts.keys()) {
      if (!(byStatus.get('sent') ?? []).includes(openid)) expect(unknown.has(openid)).toBe(true);
    }
    expect(done.failed).toBe(0);

    b.child.kill('SIGTERM');
    expect(await b.exited).toBe(0);
  }, 240_000);

  it('SIGTERM mid-batch: the instance finishes its sends in flight and exits 0; the other one sends the rest', async () => {
    const a = await startInstance();
    const b = await startInstance();
    fake.setLatency(20);
    const total = 3000;
    const templateId = uniqueTemplate();
    const created = await api(b.base, 'POST', '/templates/batches', { templateId, data: DATA, recipients: recipients(total) });
    expect(created.status).toBe(202);
    await waitFor(
      async () => receivedCounts(fake.messages, templateId).size >= 600 && (await activeHere(a)) > 0,
      'instance A mid-batch',
      30_000,
    );

    const signalledAt = Date.now();
    a.child.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(10_000);
    expect(a.output()).toBe('');

    const done = await waitForBatch([b.base], created.body.id, settled, 120_000);
    fake.setLatency(0);
    expect(done).toMatchObject({ status: 'done', total, sent: total, failed: 0, unknown: 0, pending: 0 });
    const counts = receivedCounts(fake.messages, templateId);
    expect(counts.size).toBe(total);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);

    b.child.kill('SIGTERM');
    expect(await b.exited).toBe(0);
  }, 240_000);
});
