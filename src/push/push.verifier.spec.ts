import { buildPush, type PushEventInput } from '../sandbox/fake-wechat.push.js';
import { DomainError } from '../common/errors/domain.error.js';
import { PushVerifier } from './push.verifier.js';

const NOW = 1_764_000_000;
const KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const EVENT: PushEventInput = {
  ToUserName: 'gh_1',
  FromUserName: 'oUser',
  CreateTime: NOW,
  Event: 'subscribe_msg_popup_event',
  List: [{ TemplateId: 't1', SubscribeStatusString: 'accept', PopupScene: '0' }],
};

function codeOf(work: () => unknown): string | undefined {
  try {
    work();
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
  return undefined;
}

describe('PushVerifier', () => {
  const plain = new PushVerifier({ token: 'tok', aesKey: null, appId: 'wxapp' }, { now: () => NOW * 1000 });
  const aes = new PushVerifier({ token: 'tok', aesKey: KEY, appId: 'wxapp' }, { now: () => NOW * 1000 });

  it('echoes echostr only for a right signature (the worked example of §7)', () => {
    const example = new PushVerifier({ token: 'AAAAA', aesKey: null, appId: 'wx' });
    const query = { signature: 'f464b24fc39322e44b38aa78f5edd27bd1441696', timestamp: '1714036504', nonce: '1514711492', echostr: 'e1' };
    expect(example.echo(query)).toBe('e1');
    expect(codeOf(() => example.echo({ ...query, nonce: '1514711493' }))).toBe('PUSH_SIGNATURE_INVALID');
    expect(codeOf(() => example.echo({ ...query, signature: ['a', 'b'] }))).toBe('PUSH_SIGNATURE_INVALID');
  });

  it.each([
    ['plaintext', 'json'],
    ['plaintext', 'xml'],
    ['compatible', 'json'],
    ['compatible', 'xml'],
    ['safe', 'json'],
    ['safe', 'xml'],
  ] as const)('opens a %s %s push', (mode, format) => {
    const push = buildPush(EVENT, { token: 'tok', aesKey: KEY, appId: 'wxapp', mode, format, timestamp: NOW });
    const event = (mode === 'plaintext' ? plain : aes).open(push.query, push.body);
    expect(event).toMatchObject({
      fromUserName: 'oUser',
      event: 'subscribe_msg_popup_event',
      items: [{ templateId: 't1', status: 'accept' }],
    });
  });

  it('in compatible mode trusts only the encrypted copy', () => {
    const push = buildPush(EVENT, { token: 'tok', aesKey: KEY, appId: 'wxapp', mode: 'compatible', format: 'json', timestamp: NOW });
    const forged = push.body.replace('"FromUserName":"oUser"', '"FromUserName":"oForged"');
    expect(aes.open(push.query, forged).fromUserName).toBe('oUser');
  });

  it('refuses timestamps more than 300 s away, either side', () => {
    for (const [offset, code] of [
      [-301, 'PUSH_TIMESTAMP_STALE'],
      [301, 'PUSH_TIMESTAMP_STALE'],
      [-300, undefined],
      [300, undefined],
    ] as const) {
      const push = buildPush(EVENT, { token: 'tok', appId: 'wxapp', timestamp: NOW + offset });
      expect(codeOf(() => plain.open(push.query, push.body))).toBe(code);
    }
  });

  it('refuses every kind of bad signature', () => {
    const signed = (overrides = {}) =>
      buildPush(EVENT, { token: 'tok', aesKey: KEY, appId: 'wxapp', mode: 'safe', timestamp: NOW, ...overrides });
    const good = signed();
    const cases: Array<[string, () => unknown, string]> = [
      ['other token', () => aes.open(signed({ token: 'other' }).query, good.body), 'PUSH_SIGNATURE_INVALID'],
      ['no signature', () => aes.open({ ...good.query, signature: undefined }, good.body), 'PUSH_SIGNATURE_INVALID'],
      ['nonce changed', () => aes.open({ ...good.query, nonce: `${good.query.nonce}1` }, good.body), 'PUSH_SIGNATURE_INVALID'],
      ['no msg_signature', () => aes.open({ ...good.query, msg_signature: undefined }, good.body), 'PUSH_SIGNATURE_INVALID'],
      [
        'msg_signature of another body',
        () => aes.open({ ...good.query, msg_signature: signed().query.msg_signature }, good.body),
        'PUSH_SIGNATURE_INVALID',
      ],
      [
        'other AES key',
        () => {
          const p = signed({ aesKey: KEY.replace('a', 'b') });
          return aes.open(p.query, p.body);
        },
        'PUSH_DECRYPT_FAILED',
      ],
      [
        'other appid',
        () => {
          const p = signed({ appId: 'wxother' });
          return aes.open(p.query, p.body);
        },
        'PUSH_WRONG_APP',
      ],
      [
        'plaintext to an AES app',
        () => {
          const p = signed({ mode: 'plaintext' });
          return aes.open(p.query, p.body);
        },
        'PUSH_ENCRYPTION_REQUIRED',
      ],
      ['AES to a plaintext app', () => plain.open(good.query, good.body), 'PUSH_DECRYPT_FAILED'],
    ];
    for (const [label, run, code] of cases) expect([label, codeOf(run)]).toEqual([label, code]);
  });
});
