import { setImmediate as tick } from 'node:timers/promises';
import { captureOutput } from '../../test/support/log-capture.js';
import { createLogger, resolveLogFormat } from './logger.options.js';
import { requestContext } from './request-context.js';

describe('resolveLogFormat', () => {
  it.each([
    [null, true, 'pretty'],
    [null, false, 'json'],
    ['json', true, 'json'],
    ['pretty', false, 'pretty'],
  ] as const)('LOG_FORMAT %s with stdout a terminal: %s → %s', (configured, tty, expected) => {
    expect(resolveLogFormat(configured, tty)).toBe(expected);
  });
});

describe('createLogger', () => {
  async function output(format: 'json' | 'pretty', write: (logger: Awaited<ReturnType<typeof createLogger>>) => void): Promise<string> {
    const capture = captureOutput();
    try {
      write(await createLogger({ level: 'info', format }, false));
      await tick();
      await tick();
    } finally {
      capture.restore();
    }
    return capture.text();
  }

  it('json: one JSON object a line, the request id inside a request only, credentials redacted', async () => {
    const text = await output('json', (logger) => {
      logger.info('outside');
      requestContext.run({ requestId: 'req-json-1' }, () => logger.warn({ sessionKey: 'sk-secret', token: 't-secret' }, 'inside'));
    });
    const lines = text
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toEqual([
      expect.objectContaining({ msg: 'outside', level: 30 }),
      expect.objectContaining({ msg: 'inside', level: 40, reqId: 'req-json-1', sessionKey: '[redacted]', token: '[redacted]' }),
    ]);
    expect(lines[0]).not.toHaveProperty('reqId');
    expect(text).not.toContain('secret');
  });

  it('pretty: human-readable lines (no JSON), with the request id, still redacted', async () => {
    const text = await output('pretty', (logger) => {
      requestContext.run({ requestId: 'req-pretty-1' }, () => logger.info({ accessToken: 'at-secret' }, 'hello there'));
    });
    expect(text).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: hello there\n/);
    expect(text).toContain('reqId: "req-pretty-1"');
    expect(text).toContain('accessToken: "[redacted]"');
    expect(text).not.toContain('at-secret');
    expect(text).not.toContain('{"level"');
  });
});
