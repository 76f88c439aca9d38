import { type ArgumentMetadata, BadRequestException, type PipeTransform, type Type, ValidationPipe } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, validateSync, type ValidatorOptions, ValidationTypes } from 'class-validator';
import { jsonShapeOf } from './json-shape.js';
import { cacheValidationMetadata } from './validation-metadata.cache.js';

/** Deeper than any body of this API needs; deep enough to keep recursion in the validators safe. */
export const MAX_JSON_DEPTH = 64;

/**
 * The global ValidationPipe with two guarantees on top: a body nested deeper than MAX_JSON_DEPTH
 * is a 400 before class-transformer walks it (it recurses once per level and overflows the stack
 * near 1,500), and anything else that makes transformation or validation throw is a 400 too,
 * never a 500.
 *
 * A JSON body (see jsonShapeOf) of a class whose rules are all synchronous is validated without
 * promises: ValidationPipe's async path, with its walks for what JSON cannot hold (sparse arrays,
 * binary values), cost about as much CPU as the rest of a returning user's login.
 */
export class RequestValidationPipe implements PipeTransform {
  private readonly pipe = new JsonValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    forbidUnknownValues: true,
    stopAtFirstError: true,
  });

  constructor() {
    cacheValidationMetadata();
  }

  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    // A custom parameter decorator's value (the principal) is not client input: ValidationPipe would
    // hand it back unchecked too, here without the promises of its async path on every guarded request.
    if (metadata.type === 'custom') return value;
    try {
      const shape = jsonShapeOf(value, MAX_JSON_DEPTH);
      if (metadata.type === 'body' && shape === 'too-deep') {
        throw new BadRequestException({ message: [`The body is nested deeper than ${MAX_JSON_DEPTH} levels`] });
      }
      const entity = shape === 'json' ? this.pipe.validateJson(value as object, metadata) : undefined;
      if (entity !== undefined) return entity;
    } catch (error) {
      throw asBadRequest(error);
    }
    return this.validate(value, metadata);
  }

  private async validate(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    try {
      return await this.pipe.transform(value, metadata);
    } catch (error) {
      throw asBadRequest(error);
    }
  }
}

function asBadRequest(error: unknown): BadRequestException {
  if (error instanceof BadRequestException) return error;
  return new BadRequestException({ message: ['The request could not be validated'] }, { cause: error });
}

/**
 * ValidationPipe's own steps for a value that JSON.parse could have made, synchronously: such a
 * value has no sparse arrays to close, no binary values and no prototype keys to strip, and
 * class-transformer makes an instance of the class itself from it, so of ValidationPipe's checks only
 * transforming, validating and its error factory are left.
 */
class JsonValidationPipe extends ValidationPipe {
  private readonly syncOptions: ValidatorOptions = {
    ...this.validatorOptions,
    // As ValidationPipe does: an error's target would repeat the whole object once per error.
    validationError: { target: false, ...this.validatorOptions.validationError },
  };
  private readonly synchronous = new WeakMap<Type<unknown>, boolean>();

  /** The validated instance, or undefined when this path does not apply (then use transform()). */
  validateJson(value: object, metadata: ArgumentMetadata): object | undefined {
    const { metatype } = metadata;
    if (this.expectedType || !metatype || !this.toValidate(metadata) || !this.validatesSynchronously(metatype)) return undefined;
    const entity = plainToInstance(metatype, value, this.transformOptions) as object;
    if (entity.constructor !== metatype) return undefined;
    const errors = validateSync(entity, this.syncOptions);
    if (errors.length > 0) {
      if (this.validatorOptions.validationError?.value === undefined) this.stripParentErrorValues(errors);
      throw this.exceptionFactory(errors);
    }
    return entity;
  }

  /**
   * validateSync skips asynchronous constraints, and a nested rule would validate whatever
   * class-transformer made of the nested value: classes with either take the general path.
   */
  private validatesSynchronously(metatype: Type<unknown>): boolean {
    let answer = this.synchronous.get(metatype);
    if (answer === undefined) {
      const storage = getMetadataStorage();
      answer = storage
        .getTargetValidationMetadatas(metatype, '', false, false)
        .every(
          (rule) =>
            rule.type !== ValidationTypes.NESTED_VALIDATION &&
            rule.type !== ValidationTypes.PROMISE_VALIDATION &&
            (rule.type !== ValidationTypes.CUSTOM_VALIDATION ||
              storage.getTargetValidatorConstraints(rule.constraintCls).every((constraint) => !constraint.async)),
        );
      this.synchronous.set(metatype, answer);
    }
    return answer;
  }
}
