import { CommandDeadline, CommandTimeoutError } from './command-deadline.js';
import { StoreUnavailableError } from './key-value.store.js';

const never = () => new Promise<never>(() => undefined);

describe('CommandDeadline', () => {
  let deadline: CommandDeadline;
  let probeAnswers: boolean;
  let probes: number;

  beforeEach(() => {
    probeAnswers = false;
    probes = 0;
    deadline = new CommandDeadline(40, () => {
      probes += 1;
      return probeAnswers ? Promise.resolve('PONG') : never();
    });
  });
  afterEach(() => deadline.close());

  it("passes a command's answer through, and its failure through mapError", async () => {
    await expect(deadline.run(() => Promise.resolve('value'))).resolves.toBe('value');
    const cause = new Error('WRONGTYPE');
    const mapped = await deadline
      .run(
        () => Promise.reject(cause),
        (error) => new Error('mapped', { cause: error }),
      )
      .catch((e: unknown) => e);
    expect(mapped).toEqual(new Error('mapped'));
    expect((mapped as Error).cause).toBe(cause);
  });

  it('turns a command that throws before it is sent into a rejection, mapped like any failure', async () => {
    const thrown = new Error('bad arguments');
    const mapped = await deadline
      .run(
        () => {
          throw thrown;
        },
        (error) => new Error('mapped', { cause: error }),
      )
      .catch((e: unknown) => e);
    expect((mapped as Error).cause).toBe(thrown);
  });

  it('fails a command with no answer within the deadline, then fails the next at once until a probe answers', async () => {
    const started = Date.now();
    await expect(deadline.run(never, () => new Error('not a timeout'))).rejects.toBeInstanceOf(CommandTimeoutError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(35);

    const next = Date.now();
    await expect(deadline.run(() => Promise.resolve('late'))).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(Date.now() - next).toBeLessThan(20);
    expect(probes).toBe(1);

    probeAnswers = true;
    // The first probe is still waiting out its own deadline; the next one (200 ms later) answers.
    for (let i = 0; i < 40 && (await deadline.run(() => Promise.resolve('ok')).catch(() => null)) === null; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    await expect(deadline.run(() => Promise.resolve('ok'))).resolves.toBe('ok');
    expect(probes).toBe(2);
  });

  it('drops the late answer and the late failure of a command that lost the race, leaving nothing unhandled', async () => {
    let fail!: (error: Error) => void;
    const late = new Promise<never>((_, reject) => (fail = reject));
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      await expect(deadline.run(() => late)).rejects.toBeInstanceOf(CommandTimeoutError);
      fail(new Error('connection reset'));
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
