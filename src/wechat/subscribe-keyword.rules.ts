/*
 * Value rules for subscribe-message keywords, by keyword type (the key's prefix: `thing1` → thing).
 * Source: the value-rule table of subscribeMessage.send (shared/wechat-api.md §4,
 * https://developers.weixin.qq.com/minigame/dev/api-backend/open-api/subscribe-message/subscribeMessage.send.html);
 * an older wording of that page (still quoted in SDK doc comments) adds: symbols are common symbols other than Chinese/letters/digits and never control
 * characters; time is HH:MM or HH:MM:SS; a date is y年m月d日, y年m月, m月d日 or joined by '-', '/', '.'
 * (2018-01-01, 2018-01, 01-01). WeChat answers 47003 when a value breaks its rule.
 */

type Check = (value: string, length: number) => string | null;

const SYMBOL = String.raw`\p{P}\p{S}`;
const HAN = String.raw`\p{Script=Han}`;

const MONTH = '(?:0?[1-9]|1[0-2])';
const DAY = '(?:0?[1-9]|[12]\\d|3[01])';
const DATE = `(?:\\d{4}年${MONTH}月(?:${DAY}日)?|${MONTH}月${DAY}日` + `|\\d{4}[-/.]${MONTH}(?:[-/.]${DAY})?|${MONTH}[-/.]${DAY})`;
const TIME = '(?:[01]?\\d|2[0-3]):[0-5]\\d(?::[0-5]\\d)?';

const range = (point: string): RegExp => new RegExp(`^${point}(?: ?~ ?${point})?$`, 'u');
// One space between a date and its time, as in WeChat's example (2019年10月1日 15:01): without it
// `2019-10-0115:01` would pass, a day and an hour run together.
const TIME_VALUE = range(`(?:${DATE} )?${TIME}`);
const DATE_VALUE = range(`${DATE}(?: ${TIME})?`);

const NAME_CHARS = new RegExp(`^[${HAN}A-Za-z${SYMBOL} ]+$`, 'u');
const HAS_HAN = new RegExp(`[${HAN}]`, 'u');

const digitCount = (value: string): number => value.replace(/\D/g, '').length;

/** `max` characters of `pattern`; `allowed` names the pattern in the reason. */
function rule(type: string, max: number, pattern: RegExp, allowed: string): Check {
  return (value, length) => {
    if (length > max) return `${type} allows at most ${max} characters`;
    return pattern.test(value) ? null : `${type} allows only ${allowed}`;
  };
}

const RULES: Record<string, Check> = {
  // Anything printable; inner spaces are fine ("iPhone 15"), line breaks and control characters are not.
  thing: rule('thing', 20, /^[^\p{C}\p{Zl}\p{Zp}]+$/u, 'printable characters without line breaks'),
  number: (value) => {
    if (!/^\d+(?:\.\d+)?$/.test(value)) return 'number allows only digits with an optional decimal part';
    return digitCount(value) > 32 ? 'number allows at most 32 digits' : null;
  },
  letter: rule('letter', 32, /^[A-Za-z]+$/, 'letters'),
  symbol: rule('symbol', 5, new RegExp(`^[${SYMBOL}]+$`, 'u'), 'symbols'),
  character_string: rule('character_string', 32, new RegExp(`^[0-9A-Za-z${SYMBOL}]+$`, 'u'), 'digits, letters and symbols'),
  time: (value) => (TIME_VALUE.test(value) ? null : 'time must be a 24h time, optionally after a date, or a range joined by ~'),
  date: (value) => (DATE_VALUE.test(value) ? null : 'date must be a date, optionally with a 24h time, or a range joined by ~'),
  amount: (value) => {
    if (!/^\p{Sc}\d+(?:\.\d+)?元?$/u.test(value)) {
      return 'amount must be one currency symbol and a number, optionally ending with 元';
    }
    return digitCount(value) > 10 ? 'amount allows at most 10 digits' : null;
  },
  phone_number: rule('phone_number', 17, new RegExp(`^[0-9${SYMBOL}]+$`, 'u'), 'digits and symbols'),
  car_number: rule(
    'car_number',
    8,
    new RegExp(`^[${HAN}A-Za-z0-9](?:[A-Za-z0-9]*[${HAN}A-Za-z0-9])?$`, 'u'),
    'letters and digits, with Chinese only as the first or last character',
  ),
  // Inner spaces are allowed so that Latin names ("Li Lei") fit; digits are not.
  name: (value, length) => {
    if (!NAME_CHARS.test(value)) return 'name allows only Chinese, letters and symbols';
    const max = HAS_HAN.test(value) ? 10 : 20;
    return length > max ? `name allows at most ${max} characters${max === 10 ? ' when it contains Chinese' : ''}` : null;
  },
  phrase: rule('phrase', 5, new RegExp(`^[${HAN}]+$`, 'u'), 'Chinese characters'),
  // Valid values come from the template's enum set, which only WeChat knows.
  enum: () => null,
};

/** `'thing1'` → `'thing'`, `'character_string12'` → `'character_string'`; null when the prefix is no known type. */
export function keywordType(key: string): string | null {
  const match = /^([a-z]+(?:_[a-z]+)*)\d+$/.exec(key);
  return match !== null && Object.hasOwn(RULES, match[1]) ? match[1] : null;
}

/** Returns null when `value` is valid for the keyword `key`, else a short reason. Unknown types → null. */
export function checkKeywordValue(key: string, value: string): string | null {
  const type = keywordType(key);
  if (type === null) return null;
  if (value.length === 0) return `${type} must not be empty`;
  if (/^\s|\s$/u.test(value)) return `${type} must not start or end with whitespace`;
  return RULES[type](value, Array.from(value).length);
}
