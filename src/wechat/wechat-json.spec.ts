import { describe, expect, it } from '@jest/globals';
import { parseWechatJson, toMsgid } from './wechat-json.js';

describe('msgid parsing', () => {
  it.each([
    [
      'an int64 beyond 2^53 keeps every digit, as a string',
      '{"errcode":0,"errmsg":"ok","msgid":3248682510344192008}',
      '3248682510344192008',
    ],
    ['a msgid that fits a JS number exactly is a number', '{"errcode":0,"errmsg":"ok","msgid":1234567890}', 1234567890],
    ['2^53 - 1 is still a number', '{"msgid":9007199254740991}', 9007199254740991],
    ['2^53 + 1 is a string', '{"msgid":9007199254740993}', '9007199254740993'],
    ['spaces after the colon are allowed', '{"msgid" :  42}', 42],
    ['a negative msgid keeps its sign', '{"msgid":-3248682510344192008}', '-3248682510344192008'],
    ['no msgid is null', '{"errcode":0,"errmsg":"ok"}', null],
  ])('%s', (_what, text, msgid) => {
    expect(toMsgid(parseWechatJson(text)?.msgid)).toBe(msgid);
  });

  it('reads the other fields as JSON and refuses what is not a JSON object', () => {
    expect(parseWechatJson('{"errcode":47003,"errmsg":"argument invalid!"}')).toEqual({ errcode: 47003, errmsg: 'argument invalid!' });
    expect(parseWechatJson('<html>502 Bad Gateway</html>')).toBeNull();
    expect(parseWechatJson('[1,2]')).toBeNull();
    expect(parseWechatJson('null')).toBeNull();
  });

  it('takes a msgid that already is a string or number as it is, and nothing else', () => {
    expect(toMsgid('3248682510344192008')).toBe('3248682510344192008');
    expect(toMsgid('17')).toBe(17);
    expect(toMsgid(17)).toBe(17);
    expect(toMsgid('')).toBeNull();
    expect(toMsgid(undefined)).toBeNull();
    expect(toMsgid({})).toBeNull();
  });
});
