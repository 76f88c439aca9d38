import { registerDecorator, type ValidationArguments } from 'class-validator';
import { checkKeywordValue } from '../../wechat/subscribe-keyword.rules.js';

const KEY = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const MAX_KEYS = 30;
const MAX_VALUE_LENGTH = 1000;

/**
 * `data` is `{ "<key>": { "value": string } }`. For subscribe messages each value must also pass
 * WeChat's keyword-type rule (the key's prefix names its type); legacy form_id keys are not typed.
 */
export function describeKeywordDataProblem(data: unknown, legacy: boolean): string | null {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return 'data must be an object of {"<key>": {"value": string}}';
  const entries = Object.entries(data as Record<string, unknown>);
  if (entries.length === 0) return 'data must have at least one key';
  if (entries.length > MAX_KEYS) return `data has more than ${MAX_KEYS} keys`;
  for (const [key, entry] of entries) {
    if (!KEY.test(key)) return `data key "${key}" is not a keyword name`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return `data.${key} must be {"value": string}`;
    const extra = Object.keys(entry).filter((k) => k !== 'value' && !(legacy && k === 'color'));
    if (extra.length > 0) return `data.${key} has unknown field "${extra[0]}"`;
    const value = (entry as { value?: unknown }).value;
    if (typeof value !== 'string') return `data.${key}.value must be a string`;
    if (value.length > MAX_VALUE_LENGTH) return `data.${key}.value is longer than ${MAX_VALUE_LENGTH} characters`;
    if (!legacy) {
      const problem = checkKeywordValue(key, value);
      if (problem) return `data.${key}.value: ${problem}`;
    }
  }
  return null;
}

export function IsKeywordData(): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isKeywordData',
      target: target.constructor,
      propertyName: String(propertyName),
      validator: {
        validate: (value: unknown, args: ValidationArguments) => describeKeywordDataProblem(value, isLegacy(args.object)) === null,
        defaultMessage: (args: ValidationArguments) => describeKeywordDataProblem(args.value, isLegacy(args.object)) ?? 'data is invalid',
      },
    });
}

function isLegacy(dto: object): boolean {
  return (dto as { formId?: unknown }).formId !== undefined;
}
