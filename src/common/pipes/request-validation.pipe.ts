import { type ArgumentMetadata, BadRequestException, type PipeTransform, type Type, ValidationPipe } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidatorOptions } from 'class-validator';
import { jsonShapeOf } from './json-shape.js';
import { type RulesAcceptor, rulesAcceptorOf } from './rules-acceptor.js';
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
 * binary values), was ~40 µs of a login under the bench's load (profiled), ~8% of it.
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
    // A custom parameter decorator's value (the push callback's raw body text) is not validated here:
    // ValidationPipe would hand it back unchecked too (validateCustomDecorators is off), after the
    // promises of its async path.
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
 * transforming, validating and its error factory are left. A valid instance is confirmed by
 * rulesAcceptorOf; class-validator itself finds and words the errors of any other.
 */
class JsonValidationPipe extends ValidationPipe {
  private readonly syncOptions: ValidatorOptions = {
    ...this.validatorOptions,
    // As ValidationPipe does: an error's target would repeat the whole object once per error.
    validationError: { target: false, ...this.validatorOptions.validationError },
  };
  private readonly acceptors = new WeakMap<Type<unknown>, RulesAcceptor | null>();

  /** The validated instance, or undefined when this path does not apply (then use transform()). */
  validateJson(value: object, metadata: ArgumentMetadata): object | undefined {
    const { metatype } = metadata;
    if (this.expectedType || !metatype || !this.toValidate(metadata)) return undefined;
    const accepts = this.acceptorOf(metatype);
    if (!accepts) return undefined;
    const entity = plainToInstance(metatype, value, this.transformOptions) as object;
    if (entity.constructor !== metatype) return undefined;
    if (accepts(entity)) return entity;
    const errors = validateSync(entity, this.syncOptions);
    if (errors.length > 0) {
      if (this.validatorOptions.validationError?.value === undefined) this.stripParentErrorValues(errors);
      throw this.exceptionFactory(errors);
    }
    return entity;
  }

  /**
   * Null for a class with a rule validateSync would skip (asynchronous) or one on what
   * class-transformer made of a nested value: those take the general path.
   */
  private acceptorOf(metatype: Type<unknown>): RulesAcceptor | null {
    let acceptor = this.acceptors.get(metatype);
    if (acceptor === undefined) {
      acceptor = rulesAcceptorOf(metatype);
      this.acceptors.set(metatype, acceptor);
    }
    return acceptor;
  }
}
