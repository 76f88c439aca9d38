import { getMetadataStorage, IsInt, IsString, MaxLength, validateSync } from 'class-validator';
import { cacheValidationMetadata } from './validation-metadata.cache.js';

class Base {
  @IsString()
  name!: unknown;
}

class Child extends Base {
  @IsInt()
  age!: unknown;

  @MaxLength(3, { groups: ['short'] })
  nickname!: unknown;
}

const storage = getMetadataStorage();
const rulesOf = (target: new () => object, groups?: string[]) =>
  storage
    .getTargetValidationMetadatas(target, '', false, false, groups)
    .map((metadata) => `${metadata.propertyName}:${metadata.name ?? metadata.type}`)
    .sort();

const failedProperties = (value: object, groups?: string[]) =>
  validateSync(value, { groups })
    .map((error) => error.property)
    .sort();

const child = (fields: Partial<Record<'name' | 'age' | 'nickname', unknown>>) => Object.assign(new Child(), fields);

describe('cacheValidationMetadata', () => {
  // Before caching: what class-validator itself answers, to compare the cached answers with.
  const uncached = {
    child: rulesOf(Child),
    childShort: rulesOf(Child, ['short']),
    childOther: rulesOf(Child, ['other']),
    base: rulesOf(Base),
  };

  beforeAll(() => cacheValidationMetadata());

  it('answers as class-validator does, inherited rules and groups included', () => {
    // Without groups every rule applies; with groups, only the rules of those groups.
    expect(uncached.child).toEqual(['age:isInt', 'name:isString', 'nickname:maxLength']);
    expect(uncached.childShort).toEqual(['nickname:maxLength']);
    expect(uncached.childOther).toEqual([]);
    expect(uncached.base).toEqual(['name:isString']);
    expect(rulesOf(Child)).toEqual(uncached.child);
    expect(rulesOf(Child, ['short'])).toEqual(uncached.childShort);
    expect(rulesOf(Child, ['other'])).toEqual(uncached.childOther);
    expect(rulesOf(Base)).toEqual(uncached.base);
  });

  it('looks a class up once per set of options, and groups its rules once', () => {
    const first = storage.getTargetValidationMetadatas(Child, '', false, false, undefined);
    expect(storage.getTargetValidationMetadatas(Child, '', false, false, undefined)).toBe(first);
    expect(storage.getTargetValidationMetadatas(Child, '', false, false, ['short'])).not.toBe(first);
    expect(storage.groupByPropertyName(first)).toBe(storage.groupByPropertyName(first));
  });

  it('validates as before: inherited rules apply, and a group picks its own rules', () => {
    const invalid = child({ name: 1, age: 'x', nickname: 'long' });
    expect(failedProperties(invalid)).toEqual(['age', 'name', 'nickname']);
    expect(failedProperties(invalid, ['short'])).toEqual(['nickname']);
    expect(failedProperties(invalid, ['other'])).toEqual([]);
    expect(failedProperties(child({ name: 'a', age: 1, nickname: 'abc' }))).toEqual([]);
  });

  it('is applied once however often called, and sees a class defined after it', () => {
    const lookUp = storage.getTargetValidationMetadatas;
    cacheValidationMetadata();
    expect(storage.getTargetValidationMetadatas).toBe(lookUp);

    class Later extends Base {
      @IsInt()
      count!: unknown;
    }
    expect(rulesOf(Later)).toEqual(['count:isInt', 'name:isString']);
    expect(failedProperties(Object.assign(new Later(), { name: 'a', count: 'x' }))).toEqual(['count']);
  });
});
