import { setTimeout as sleep } from 'node:timers/promises';
import { withinDeadline } from './deadline.js';

class TimedOut extends Error {}

function controllable<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const within = <T>(work: Promise<T>, ms: number) =>
  withinDeadline(
    () => work,
    ms,
    () => new TimedOut(`${ms} ms`),
  );

describe('withinDeadline', () => {
  it("settles with the work's outcome before the deadline, and nothing happens at the deadline", async () => {
    await expect(within(Promise.resolve('done'), 30)).resolves.toBe('done');
    const failure = new Error('refused');
    await expect(within(Promise.reject(failure), 30)).rejects.toBe(failure);
    await sleep(50);
  });

  it('rejects stuck work once its time is up, while later work that finishes first still answers', async () => {
    const stuck = controllable<string>();
    const started = performance.now();
    const first = within(stuck.promise, 40).catch((error: unknown) => ({ error, after: performance.now() - started }));
    const later = controllable<string>();
    const second = within(later.promise, 40);
    later.resolve('second');
    await expect(second).resolves.toBe('second');

    const outcome = (await first) as { error: unknown; after: number };
    expect(outcome.error).toBeInstanceOf(TimedOut);
    expect(outcome.after).toBeGreaterThanOrEqual(39);
    expect(outcome.after).toBeLessThan(200);
    stuck.resolve('too late'); // ignored, and never unhandled
  });

  it('expires each of several stuck works at its own time, in the order they started', async () => {
    const expired: string[] = [];
    const watch = (name: string, ms: number) =>
      within(new Promise<never>(() => undefined), ms).catch(() => {
        expired.push(name);
      });
    const a = watch('a', 30);
    await sleep(15);
    const b = watch('b', 30);
    const c = watch('c', 60);
    await a;
    expect(expired).toEqual(['a']);
    await b;
    expect(expired).toEqual(['a', 'b']);
    await c;
    expect(expired).toEqual(['a', 'b', 'c']);
  });

  it('keeps a deadline started while another one expires (a stalled connection starting its probe)', async () => {
    const never = () => new Promise<never>(() => undefined);
    let probe: Promise<unknown> | undefined;
    const started = performance.now();
    const first = withinDeadline(never, 25, () => {
      probe = withinDeadline(never, 25, () => new TimedOut('probe')).catch((error: unknown) => error);
      return new TimedOut('first');
    });
    await expect(first).rejects.toThrow('first');
    expect(await probe).toEqual(new TimedOut('probe'));
    expect(performance.now() - started).toBeGreaterThanOrEqual(49);
    // The queue still works for deadlines added afterwards.
    await expect(within(Promise.resolve('after'), 25)).resolves.toBe('after');
    await expect(within(new Promise<never>(() => undefined), 25)).rejects.toBeInstanceOf(TimedOut);
  });

  it('passes failures, the timeout included, through mapError, and turns a throwing start into a rejection', async () => {
    const mapped = (error: unknown) => new Error(`mapped: ${(error as Error).message}`);
    const stuck = new Promise<never>(() => undefined);
    await expect(
      withinDeadline(
        () => stuck,
        20,
        () => new TimedOut('late'),
        mapped,
      ),
    ).rejects.toThrow('mapped: late');
    await expect(
      withinDeadline(
        () => Promise.reject(new Error('no')),
        20,
        () => new TimedOut('late'),
        mapped,
      ),
    ).rejects.toThrow('mapped: no');
    const throwing = () => {
      throw new Error('bad start');
    };
    await expect(withinDeadline(throwing, 20, () => new TimedOut('late'), mapped)).rejects.toThrow('mapped: bad start');
  });
});
