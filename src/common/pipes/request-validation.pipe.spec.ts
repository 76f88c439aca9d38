import { type ArgumentMetadata, HttpException, type Type, ValidationPipe } from '@nestjs/common';
import { Type as NestedType } from 'class-transformer';
import {
  Allow,
  ArrayMaxSize,
  IsDefined,
  IsInt,
  IsOptional,
  IsString,
  MaxLength,
  registerDecorator,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { LoginDto } from '../../auth/dto/login.dto.js';
import { ListMessagesQuery } from '../../templates/dto/list-messages.query.js';
import { SendTemplateDto } from '../../templates/dto/send-template.dto.js';
import { UpdateProfileDto } from '../../user-data/dto/update-profile.dto.js';
import { MAX_JSON_DEPTH, RequestValidationPipe } from './request-validation.pipe.js';

class Inner {
  @IsInt()
  n!: number;
}

class WithNested {
  @ValidateNested()
  @NestedType(() => Inner)
  inner!: Inner;
}

class WithAsyncRule {
  @IsString()
  name!: string;

  @((target: object, propertyName: string) =>
    registerDecorator({
      name: 'eventuallyPositive',
      async: true,
      target: target.constructor,
      propertyName,
      validator: { validate: (value: unknown) => Promise.resolve(typeof value === 'number' && value > 0) },
    }))
  count!: number;
}

class Mixed {
  @IsDefined()
  @IsInt()
  id!: number;

  @IsOptional()
  @ArrayMaxSize(3)
  @IsString({ each: true })
  tags?: string[];

  @ValidateIf((dto: Mixed) => dto.id > 10)
  @MaxLength(3)
  @IsString()
  label?: string;

  @Allow()
  note?: unknown;

  @IsOptional()
  @IsInt({ validateIf: (dto: Mixed) => dto.id !== 0 })
  score?: number;
}

type Outcome = { ok: string; fields: string } | { status: number; body: unknown };

/** What a pipe makes of a value: the instance (class and fields) or the error answer. */
async function outcomeOf(
  pipe: { transform(value: unknown, metadata: ArgumentMetadata): unknown },
  value: unknown,
  metadata: ArgumentMetadata,
) {
  try {
    const result = await pipe.transform(value, metadata);
    const fields = JSON.stringify(result);
    return { ok: (result as object | null)?.constructor?.name ?? String(result), fields } satisfies Outcome;
  } catch (error) {
    if (!(error instanceof HttpException)) throw error;
    return { status: error.getStatus(), body: error.getResponse() } satisfies Outcome;
  }
}

const body = (metatype: Type<unknown>): ArgumentMetadata => ({ type: 'body', metatype, data: undefined });
const json = (text: string): unknown => JSON.parse(text);

describe('RequestValidationPipe', () => {
  const pipe = new RequestValidationPipe();
  // The reference: Nest's own pipe with the same options, on its general (async) path for everything.
  const reference = new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    forbidUnknownValues: true,
    stopAtFirstError: true,
  });

  const cases: Array<[string, Type<unknown>, () => unknown]> = [
    ['a login code', LoginDto, () => json('{"code":"0a1b2c"}')],
    ['the js_code alias', LoginDto, () => json('{"js_code":"0a1b2c"}')],
    ['both codes', LoginDto, () => json('{"code":"a","js_code":"b"}')],
    ['no code', LoginDto, () => json('{}')],
    ['an empty code', LoginDto, () => json('{"code":""}')],
    ['a numeric code', LoginDto, () => json('{"code":12}')],
    ['a code too long', LoginDto, () => ({ code: 'x'.repeat(257) })],
    ['an unknown field', LoginDto, () => json('{"code":"a","admin":true}')],
    ['a nested object for a string', LoginDto, () => json('{"code":{"$ne":null}}')],
    ['a __proto__ key', LoginDto, () => json('{"code":"a","__proto__":{"admin":true}}')],
    ['a constructor key', LoginDto, () => json('{"code":"a","constructor":{"name":"x"}}')],
    ['an array body', LoginDto, () => json('[{"code":"a"}]')],
    ['a string body', LoginDto, () => 'code=a'],
    ['a null-prototype body', LoginDto, () => Object.assign(Object.create(null) as object, { code: 'a' })],
    ['a send', SendTemplateDto, () => json('{"templateId":"t1","data":{"thing1":{"value":"Order shipped"}},"page":"pages/a"}')],
    ['a send with a bad keyword', SendTemplateDto, () => json('{"templateId":"t1","data":{"number1":{"value":"abc"}}}')],
    ['a send with data as a list', SendTemplateDto, () => json('{"templateId":"t1","data":[{"value":"x"}]}')],
    ['a send with a bad userId', SendTemplateDto, () => json('{"templateId":"t1","userId":0,"data":{"thing1":{"value":"x"}}}')],
    [
      'a send with a bad state',
      SendTemplateDto,
      () => json('{"templateId":"t1","miniprogramState":"beta","data":{"thing1":{"value":"x"}}}'),
    ],
    ['a profile (transformed: trimmed)', UpdateProfileDto, () => json('{"nickname":"  Ann  "}')],
    ['an empty profile', UpdateProfileDto, () => json('{}')],
    ['a profile clearing the avatar', UpdateProfileDto, () => json('{"avatarUrl":null}')],
    ['a nested class, valid', WithNested, () => json('{"inner":{"n":1}}')],
    ['a nested class, invalid', WithNested, () => json('{"inner":{"n":"x"}}')],
    ['every kind of rule, valid', Mixed, () => json('{"id":11,"tags":["a","b"],"label":"abc","note":{"any":[1]},"score":2}')],
    ['a rule skipped by ValidateIf', Mixed, () => json('{"id":1,"label":"too long for the rule"}')],
    ['a rule skipped by its validateIf option', Mixed, () => json('{"id":0,"score":"x"}')],
    ['a rule on each item, failing', Mixed, () => json('{"id":1,"tags":["a",2]}')],
    ['too many items', Mixed, () => json('{"id":1,"tags":["a","b","c","d"]}')],
    ['a missing required property', Mixed, () => json('{"tags":[]}')],
    ['a null required property', Mixed, () => json('{"id":null}')],
    ['a key named like a method', Mixed, () => json('{"id":1,"toString":"x"}')],
    ['an async rule, passing', WithAsyncRule, () => json('{"name":"a","count":2}')],
    ['an async rule, failing', WithAsyncRule, () => json('{"name":"a","count":-1}')],
  ];

  it.each(cases)('answers %s as ValidationPipe does', async (_name, metatype, value) => {
    const expected = await outcomeOf(reference, value(), body(metatype));
    expect(await outcomeOf(pipe, value(), body(metatype))).toEqual(expected);
  });

  it('answers a query as ValidationPipe does', async () => {
    const query: ArgumentMetadata = { type: 'query', metatype: ListMessagesQuery, data: undefined };
    for (const value of [{ limit: '10' }, { limit: 'x' }, { status: 'sent', extra: '1' }]) {
      expect(await outcomeOf(pipe, { ...value }, query)).toEqual(await outcomeOf(reference, { ...value }, query));
    }
  });

  it('validates a JSON body of synchronous rules without a promise, and the others with one', () => {
    expect(pipe.transform({ code: 'a' }, body(LoginDto))).toBeInstanceOf(LoginDto);
    expect(() => pipe.transform({ code: 1 }, body(LoginDto))).toThrow(HttpException);
    const asyncRule = pipe.transform({ name: 'a', count: 1 }, body(WithAsyncRule));
    expect(asyncRule).toBeInstanceOf(Promise);
    const nested = pipe.transform({ inner: { n: 1 } }, body(WithNested));
    expect(nested).toBeInstanceOf(Promise);
    return Promise.all([expect(asyncRule).resolves.toBeInstanceOf(WithAsyncRule), expect(nested).resolves.toBeInstanceOf(WithNested)]);
  });

  it('refuses a body nested too deep before transforming it, and a value that breaks validation with a 400', async () => {
    let deep: unknown = { code: 'a' };
    for (let i = 0; i < MAX_JSON_DEPTH; i++) deep = { code: deep };
    expect(await outcomeOf(pipe, deep, body(LoginDto))).toEqual({
      status: 400,
      body: { message: [`The body is nested deeper than ${MAX_JSON_DEPTH} levels`] },
    });

    const hostile = { code: 'a' };
    Object.defineProperty(hostile, 'js_code', {
      enumerable: true,
      get() {
        throw new Error('boom');
      },
    });
    expect(await outcomeOf(pipe, hostile, body(LoginDto))).toEqual({
      status: 400,
      body: { message: ['The request could not be validated'] },
    });
  });

  it('hands a custom decorator value (the principal) back as it is', () => {
    const principal = { kind: 'user' };
    expect(pipe.transform(principal, { type: 'custom', metatype: Object, data: undefined })).toBe(principal);
  });
});
