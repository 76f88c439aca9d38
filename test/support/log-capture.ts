import { format } from 'node:util';

export interface OutputCapture {
  /** Everything written so far, stdout and stderr interleaved in order. */
  text(): string;
  /** Puts the original writers back; safe to call more than once. */
  restore(): void;
}

type Write = typeof process.stdout.write;
const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;

/**
 * Captures (and swallows) everything written to process.stdout, process.stderr and console until restore().
 *
 * Start it BEFORE booting the app. pino picks its destination once, when the logger is built: if
 * process.stdout.write is the stream's own method it writes straight to fd 1 through sonic-boom, bypassing
 * process.stdout.write for good; only if the method has been replaced does it write through process.stdout
 * (pino lib/tools.js `hasBeenTampered`). Jest's default reporter happens to wrap process.stdout.write, but
 * other reporters or runners need not; started first, the capture is what pino sees, and it also gets the
 * boot lines.
 */
export function captureOutput(): OutputCapture {
  const chunks: string[] = [];
  const original = { stdout: process.stdout.write, stderr: process.stderr.write };
  const originalConsole = CONSOLE_METHODS.map((method) => [method, console[method]] as const);

  const recorder =
    (): Write =>
    (chunk: string | Uint8Array, encodingOrCallback?: unknown, callback?: unknown): boolean => {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const done = typeof encodingOrCallback === 'function' ? encodingOrCallback : callback;
      if (typeof done === 'function') process.nextTick(done);
      return true;
    };

  process.stdout.write = recorder();
  process.stderr.write = recorder();
  for (const method of CONSOLE_METHODS) {
    console[method] = (...args: unknown[]) => {
      chunks.push(`${format(...args)}\n`);
    };
  }

  let restored = false;
  return {
    text: () => chunks.join(''),
    restore() {
      if (restored) return;
      restored = true;
      process.stdout.write = original.stdout;
      process.stderr.write = original.stderr;
      for (const [method, fn] of originalConsole) console[method] = fn;
    },
  };
}
