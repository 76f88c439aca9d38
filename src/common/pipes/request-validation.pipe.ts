import { type ArgumentMetadata, BadRequestException, type PipeTransform, ValidationPipe } from '@nestjs/common';
import { cacheValidationMetadata } from './validation-metadata.cache.js';

/** Deeper than any body of this API needs; deep enough to keep recursion in the validators safe. */
export const MAX_JSON_DEPTH = 64;

/**
 * The global ValidationPipe with two guarantees on top: a body nested deeper than MAX_JSON_DEPTH
 * is a 400 before class-transformer walks it (it recurses once per level and overflows the stack
 * near 1,500), and anything else that makes transformation or validation throw is a 400 too,
 * never a 500.
 */
export class RequestValidationPipe implements PipeTransform {
  private readonly pipe = new ValidationPipe({
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
    return this.validate(value, metadata);
  }

  private async validate(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && exceedsDepth(value, MAX_JSON_DEPTH)) {
      throw new BadRequestException({ message: [`The body is nested deeper than ${MAX_JSON_DEPTH} levels`] });
    }
    try {
      return await this.pipe.transform(value, metadata);
    } catch (error) {
      if (error instanceof BadRequestException) throw error;
      throw new BadRequestException({ message: ['The request could not be validated'] }, { cause: error });
    }
  }
}

/** Iterative, so that measuring a hostile body cannot overflow the stack itself. */
function exceedsDepth(root: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[root, 0]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop() as [unknown, number];
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= max) return true;
    for (const child of Object.values(value)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}
