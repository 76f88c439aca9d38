import { registerDecorator, type ValidationArguments } from 'class-validator';

// RFC 3339: a full-date, or a date-time with a zone (Z or ±hh:mm). Nothing else ISO 8601 allows
// (20990101, 2099-W01, 2099-001, a time without a zone) gets through to silently mis-filter.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:[Zz]|[+-](\d{2}):(\d{2})))?$/;

export function isRfc3339(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const match = RFC3339.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth) return false;
  if (match[4] !== undefined) {
    if (Number(match[4]) > 23 || Number(match[5]) > 59 || Number(match[6]) > 60) return false;
    if (match[7] !== undefined && (Number(match[7]) > 23 || Number(match[8]) > 59)) return false;
  }
  return !Number.isNaN(Date.parse(value));
}

export function IsRfc3339(): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isRfc3339',
      target: target.constructor,
      propertyName: propertyName as string,
      validator: {
        validate: (value: unknown) => isRfc3339(value),
        defaultMessage: (args?: ValidationArguments) =>
          `${args?.property} must be an RFC 3339 date (2026-12-01) or date-time with a zone (2026-12-01T08:00:00Z, 2026-12-01T16:00:00+08:00)`,
      },
    });
}
