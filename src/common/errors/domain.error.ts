/**
 * Base of every error the app means to show a client. Services throw these (never HttpException),
 * made from their module's catalogue (`*.errors.ts`, see error-catalogue.ts); the global exception
 * filter turns them into `{statusCode, code, message, ...details}`.
 */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}
