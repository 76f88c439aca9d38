/*
 * The fake's own reading of WeChat's value rules for subscribe-message keywords (shared/wechat-api.md §4,
 * "Value rules per keyword type"), written from that table and not from the product's validator, so a
 * test can run both over the same cases (fake-wechat.keyword-rules.spec.ts) and a wrong rule on either
 * side shows. WeChat answers 47003 for a value that breaks its type's rule. Where the table is silent
 * the choice is noted.
 */

const HAN = /\p{Script=Han}/u;
const DIGIT = /[0-9]/;
const LETTER = /[A-Za-z]/;
// "Symbols": punctuation and symbol characters, never letters, digits, spaces or control characters.
const SYMBOL = /[\p{P}\p{S}]/u;
const SPACE = / /;

const is = (char: string, ...classes: RegExp[]): boolean => classes.some((c) => c.test(char));

/** Every character of `value` in one of `classes`, at most `max` of them (lengths are character counts). */
function charsOf(value: string, max: number, ...classes: RegExp[]): boolean {
  const chars = [...value];
  return chars.length <= max && chars.every((char) => is(char, ...classes));
}

// Dates: 2019年10月1日, 2019年10月, 10月1日, 2019-10-01, 2019/10/01, 2019.10.01, 2019-10, 10-01.
// Times: 24h, hour of one or two digits, seconds optional (15:01, 9:05:59).
const Y = '\\d{4}';
const M = '(0?[1-9]|1[0-2])';
const D = '(0?[1-9]|[12][0-9]|3[01])';
const CN_DATE = `(${Y}年${M}月${D}日|${Y}年${M}月|${M}月${D}日)`;
const SEP_DATE = `(${Y}([-/.])${M}\\3${D}|${Y}[-/.]${M}|${M}[-/.]${D})`;
const CLOCK = '([01]?[0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?';

function matchesWhole(value: string, pattern: string): boolean {
  return new RegExp(`^(${pattern})$`, 'u').test(value);
}

function isDate(value: string): boolean {
  return matchesWhole(value, CN_DATE) || matchesWhole(value, SEP_DATE);
}

/** With `timeRequired`: `time` or `date time`; without: `date` or `date time`. */
function isPoint(value: string, timeRequired: boolean): boolean {
  if (matchesWhole(value, CLOCK)) return timeRequired;
  if (isDate(value)) return !timeRequired;
  // The table's example puts one space between the date and the time (2019年10月1日 15:01).
  const lastSpace = value.lastIndexOf(' ');
  if (lastSpace < 0) return false;
  return isDate(value.slice(0, lastSpace)) && matchesWhole(value.slice(lastSpace + 1), CLOCK);
}

/** A point, or two joined by `~` (spaces around it allowed). */
function isPointOrRange(value: string, timeRequired: boolean): boolean {
  const parts = value.split('~').map((part) => part.trim());
  if (parts.length > 2 || parts.some((part) => part === '')) return false;
  return parts.every((part) => isPoint(part, timeRequired));
}

const RULES: Record<string, (value: string) => boolean> = {
  // "≤ 20 chars; Chinese, digits, letters, symbols". Inner spaces are accepted and counted (the table's
  // note on leading spaces implies a space elsewhere is fine); other letters (ü, か) count as letters.
  thing: (v) => charsOf(v, 20, HAN, DIGIT, /\p{L}/u, SYMBOL, SPACE),
  // "≤ 32 digits; decimals allowed": the point does not count as a digit; no sign.
  number: (v) => /^[0-9]+(\.[0-9]+)?$/.test(v) && v.replace('.', '').length <= 32,
  letter: (v) => charsOf(v, 32, LETTER),
  symbol: (v) => charsOf(v, 5, SYMBOL),
  character_string: (v) => charsOf(v, 32, DIGIT, LETTER, SYMBOL),
  time: (v) => isPointOrRange(v, true),
  date: (v) => isPointOrRange(v, false),
  // "1 currency symbol + ≤ 10 digits, decimals allowed, may end with 元".
  amount: (v) => {
    const match = /^\p{Sc}([0-9]+(\.[0-9]+)?)元?$/u.exec(v);
    return match !== null && match[1].replace('.', '').length <= 10;
  },
  phone_number: (v) => charsOf(v, 17, DIGIT, SYMBOL),
  // "≤ 8 chars, first and last may be Chinese, rest letters/digits".
  car_number: (v) => {
    const chars = [...v];
    return (
      chars.length <= 8 && chars.every((char, i) => is(char, LETTER, DIGIT) || (HAN.test(char) && (i === 0 || i === chars.length - 1)))
    );
  },
  // "≤ 10 Chinese chars, or ≤ 20 letters/symbols; mixed counts as Chinese (10)". Names may have inner spaces.
  name: (v) => {
    const chars = [...v];
    if (!chars.every((char) => is(char, HAN, LETTER, SYMBOL, SPACE))) return false;
    return chars.length <= (chars.some((char) => HAN.test(char)) ? 10 : 20);
  },
  phrase: (v) => charsOf(v, 5, HAN),
  // "only values from the template's enum set": the fake knows no enum sets, so any value is one.
  enum: () => true,
};

/** Whether WeChat would take `value` for the keyword `key` (`thing3` is of type thing); unknown types pass. */
export function keywordValueAccepted(key: string, value: string): boolean {
  const type = /^([a-z_]+?)\d+$/.exec(key)?.[1];
  if (type === undefined || !Object.hasOwn(RULES, type)) return true;
  const rule = RULES[type];
  // Every typed value needs at least one character; a leading (or trailing) space fails (wechat-api.md §4 pitfalls).
  if (value === '' || /^\s|\s$/u.test(value)) return false;
  return rule(value);
}
