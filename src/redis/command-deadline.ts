import { withinDeadline } from '../common/deadline.js';
import { StoreUnavailableError } from './key-value.store.js';

const PROBE_EVERY_MS = 200;

/**
 * REDIS_COMMAND_TIMEOUT_MS for every command of one connection (single or cluster: it only sees
 * the commands' promises). A Redis that is up but stuck (paused, swapping, a slow script) keeps the
 * socket open and never answers; node-redis's own command timeout only drops commands not yet
 * written, and its socket timeout fires only once the socket has been idle, which steady traffic
 * prevents. After one command missed its deadline the connection counts as stalled: further
 * commands fail at once (a request touching Redis three times still answers within one deadline)
 * until a probe gets an answer again.
 */
export class CommandDeadline {
  private stalled = false;
  private probing: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    readonly timeoutMs: number,
    private readonly probe: () => Promise<unknown>,
  ) {}

  /** `mapError` turns a command's own failure into the caller's error type (a timeout is already one). */
  run<T>(start: () => Promise<T>, mapError: (error: unknown) => Error = (error) => error as Error): Promise<T> {
    if (this.stalled) return Promise.reject(new StoreUnavailableError('Redis is not answering'));
    return withinDeadline(
      start,
      this.timeoutMs,
      () => {
        this.markStalled();
        return new CommandTimeoutError(this.timeoutMs);
      },
      (error) => (error instanceof CommandTimeoutError ? error : mapError(error)),
    );
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.probing);
  }

  private markStalled(): void {
    if (this.stalled || this.closed) return;
    this.stalled = true;
    const probeOnce = () => {
      withinDeadline(this.probe, this.timeoutMs, () => new CommandTimeoutError(this.timeoutMs)).then(
        () => {
          this.stalled = false;
        },
        () => {
          if (!this.closed) this.probing = setTimeout(probeOnce, PROBE_EVERY_MS).unref();
        },
      );
    };
    probeOnce();
  }
}

export class CommandTimeoutError extends StoreUnavailableError {
  constructor(timeoutMs: number) {
    super(`Redis did not answer within ${timeoutMs} ms`);
  }
}
