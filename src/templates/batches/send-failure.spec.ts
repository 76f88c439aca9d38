import { StoreUnavailableError } from '../../redis/key-value.store.js';
import { WechatApiError, WechatTransportError } from '../../wechat/wechat.errors.js';
import { retryDelayMs } from './batch.queue.js';
import { classifySendFailure } from './send-failure.js';

describe('classifySendFailure', () => {
  it.each([-1, 45009, 45011, 40001, 42001])('retries WeChat errcode %i', (errcode) => {
    expect(classifySendFailure(new WechatApiError('subscribe_send', errcode, 'x'))).toEqual({ retryable: true, errcode, errmsg: 'x' });
  });

  it.each([43101, 40003, 47003, 40037, 41030, 12345])('fails refusal %i at once, keeping the errcode', (errcode) => {
    expect(classifySendFailure(new WechatApiError('subscribe_send', errcode, 'no'))).toEqual({ retryable: false, errcode, errmsg: 'no' });
  });

  it('retries timeouts, network errors and 5xx, not a 4xx from the gateway', () => {
    expect(classifySendFailure(new WechatTransportError('subscribe_send', 'timeout', 'ECONNABORTED')).retryable).toBe(true);
    expect(classifySendFailure(new WechatTransportError('subscribe_send', 'network', 'ECONNRESET')).retryable).toBe(true);
    expect(classifySendFailure(new WechatTransportError('subscribe_send', 'bad_response', 'HTTP 503')).retryable).toBe(true);
    expect(classifySendFailure(new WechatTransportError('subscribe_send', 'bad_response', 'HTTP 404')).retryable).toBe(false);
  });

  it('retries when the send never left (the store holding the token was down)', () => {
    expect(classifySendFailure(new StoreUnavailableError('down'))).toMatchObject({ retryable: true, errcode: null });
  });
});

describe('retry backoff', () => {
  it('with the default 5 attempts, spans at least 30 s between the first and the last attempt', () => {
    const waits = [1, 2, 3, 4].map(retryDelayMs);
    expect(waits).toEqual([2000, 4000, 8000, 16000]);
    expect(waits.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(30_000);
  });
});
