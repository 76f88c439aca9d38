import { describe, expect, it } from '@jest/globals';
import { checkKeywordValue } from '../wechat/subscribe-keyword.rules.js';
import { keywordValueAccepted } from './fake-wechat.keyword-rules.js';

/*
 * One table, both implementations: the product's validator (src/wechat/subscribe-keyword.rules.ts)
 * and the fake's independent reading of wechat-api.md §4. Each case says what the table in §4 wants;
 * a case fails when either side answers otherwise, so the two can never silently disagree.
 */
const cases: Array<[key: string, value: string, accepted: boolean]> = [
  // thing: ≤ 20 chars; Chinese, digits, letters, symbols
  ['thing1', '您的餐品已出餐', true],
  ['thing1', 'iPhone 15 Pro 256GB', true],
  ['thing1', '订单#A-12，已发货！', true],
  ['thing1', '一二三四五六七八九十一二三四五六七八九十', true],
  ['thing1', '一二三四五六七八九十一二三四五六七八九十一', false],
  ['thing1', '𠀀𠀁𠀂𠀃𠀄𠀅𠀆𠀇𠀈𠀉𠀊𠀋𠀌𠀍𠀎𠀏𠀐𠀑𠀒𠀓', true],
  ['thing1', ' 您的餐品已出餐', false],
  ['thing1', '您的餐品已出餐 ', false],
  ['thing1', '', false],
  ['thing1', 'line\nbreak', false],
  ['thing1', 'tab\there', false],
  // number: ≤ 32 digits; decimals allowed
  ['number2', '339208499', true],
  ['number2', '3.1415', true],
  ['number2', '1'.repeat(32), true],
  ['number2', '1'.repeat(33), false],
  ['number2', '12a', false],
  ['number2', '-5', false],
  ['number2', '1.', false],
  ['number2', '', false],
  // letter: ≤ 32 letters only
  ['letter3', 'abcXYZ', true],
  ['letter3', 'a'.repeat(32), true],
  ['letter3', 'a'.repeat(33), false],
  ['letter3', 'abc1', false],
  ['letter3', '字母', false],
  // symbol: ≤ 5 symbols only
  ['symbol4', '!@#$%', true],
  ['symbol4', '，。', true],
  ['symbol4', '!!!!!!', false],
  ['symbol4', 'a!', false],
  // character_string: ≤ 32 chars of digits/letters/symbols, no Chinese
  ['character_string5', 'ORDER-2024_0001#A', true],
  ['character_string5', 'x'.repeat(32), true],
  ['character_string5', 'x'.repeat(33), false],
  ['character_string5', '订单123', false],
  ['character_string5', 'ab cd', false],
  // time: 24h time, optionally with a date; a range joined by ~
  ['time6', '15:01', true],
  ['time6', '9:05:59', true],
  ['time6', '2019年10月1日 15:01', true],
  ['time6', '2019-10-01 15:01:02', true],
  ['time6', '16:00~18:00', true],
  ['time6', '2019年10月1日 15:01 ~ 2019年10月1日 16:00', true],
  ['time6', '2019年10月1日15:01', false],
  ['time6', '2019-10-0115:01', false],
  ['time6', '25:00', false],
  ['time6', '15:60', false],
  ['time6', '2019年10月1日', false],
  ['time6', '3pm', false],
  ['time6', '15:01~', false],
  // date: a date, optionally with a 24h time; a range joined by ~
  ['date7', '2019年10月1日', true],
  ['date7', '2018-01-01', true],
  ['date7', '2018/01/01', true],
  ['date7', '2018.01.01', true],
  ['date7', '2018-01', true],
  ['date7', '01-01', true],
  ['date7', '10月1日', true],
  ['date7', '2019年10月', true],
  ['date7', '2019年10月1日 15:01', true],
  ['date7', '2024-01-01~2024-01-07', true],
  ['date7', '2019-10-0115:01', false],
  ['date7', '15:01', false],
  ['date7', '2019-13-01', false],
  ['date7', '2019-10-32', false],
  ['date7', 'tomorrow', false],
  // amount: one currency symbol + ≤ 10 digits, decimals allowed, may end with 元
  ['amount8', '¥12.50', true],
  ['amount8', '$3', true],
  ['amount8', '¥100元', true],
  ['amount8', '￥1234567890', true],
  ['amount8', '€99999999.99', true],
  ['amount8', '¥12345678901', false],
  ['amount8', '12.50', false],
  ['amount8', '100元', false],
  ['amount8', '¥¥12', false],
  // phone_number: ≤ 17 chars, digits and symbols
  ['phone_number9', '+86-0766-66888866', true],
  ['phone_number9', '13800138000', true],
  ['phone_number9', '1'.repeat(17), true],
  ['phone_number9', '1'.repeat(18), false],
  ['phone_number9', '+86 138 0013 8000', false],
  ['phone_number9', 'call me', false],
  // car_number: ≤ 8 chars, first and last may be Chinese, the rest letters/digits
  ['car_number10', '粤A8Z888挂', true],
  ['car_number10', '京A12345', true],
  ['car_number10', 'AB12345', true],
  ['car_number10', '粤A8中888', false],
  ['car_number10', '粤A1234567', false],
  ['car_number10', '粤A-12345', false],
  // name: ≤ 10 Chinese chars, or ≤ 20 letters/symbols; mixed counts as Chinese
  ['name11', '张三', true],
  ['name11', '欧阳·娜娜', true],
  ['name11', 'Li Lei', true],
  ['name11', 'a'.repeat(20), true],
  ['name11', '张三Tom', true],
  ['name11', '一二三四五六七八九十', true],
  ['name11', '一二三四五六七八九十一', false],
  ['name11', '张三Christopher', false],
  ['name11', 'a'.repeat(21), false],
  ['name11', 'Agent 007', false],
  // phrase: ≤ 5 Chinese characters only
  ['phrase12', '配送中', true],
  ['phrase12', '已完成支付', true],
  ['phrase12', '一二三四五六', false],
  ['phrase12', '配送中1', false],
  ['phrase12', 'done', false],
  ['phrase12', '配 送', false],
  // enum: values from the template's enum set, which only WeChat knows
  ['enum13', 'anything', true],
  ['enum13', '', false],
  // keys of no known type are not checked
  ['unknown1', '   anything goes for unknown types   ', true],
  ['foo', '', true],
  ['Thing1', ' x', true],
];

describe('subscribe keyword rules: product validator and fake WeChat agree with wechat-api.md §4', () => {
  it.each(cases)('%s = %j → accepted: %s', (key, value, accepted) => {
    const verdicts = { product: checkKeywordValue(key, value) === null, fake: keywordValueAccepted(key, value) };
    expect(verdicts).toEqual({ product: accepted, fake: accepted });
  });
});
