import { DomainError } from './domain.error.js';

export interface ErrorSpec {
  status: number;
  /** The client-facing message; `{name}` is filled from the `params` given when the error is made. */
  message: string;
  /** The client-facing code, when it is not the entry's name (one code, several messages). */
  code?: string;
  /** How the README shows the status when it varies, e.g. "4xx" for errors the framework raises. */
  statusText?: string;
}

export interface ErrorOptions {
  params?: Record<string, string | number>;
  /** Replaces the catalogue's message (the access decorators carry a route's own 403 wording). */
  message?: string;
  details?: Record<string, unknown>;
  cause?: unknown;
}

/** One catalogue entry: call it to make the error; its fields document it (OpenAPI, README). */
export interface CataloguedError {
  (options?: ErrorOptions): DomainError;
  readonly code: string;
  readonly status: number;
  readonly message: string;
  readonly statusText: string;
}

export type ErrorCatalogue<T> = { readonly [K in keyof T]: CataloguedError };

export interface RegisteredCatalogue {
  module: string;
  errors: readonly CataloguedError[];
}

const registry: RegisteredCatalogue[] = [];

/** A module's error catalogue: every code it throws, defined once with its status and message. */
export function defineErrors<const T extends Record<string, ErrorSpec>>(module: string, specs: T): ErrorCatalogue<T> {
  const catalogue: Record<string, CataloguedError> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const code = spec.code ?? name;
    const make = (options: ErrorOptions = {}) =>
      new DomainError(code, options.message ?? fill(spec.message, options.params), spec.status, options.details, { cause: options.cause });
    catalogue[name] = Object.assign(make, {
      code,
      status: spec.status,
      message: spec.message,
      statusText: spec.statusText ?? String(spec.status),
    });
  }
  registry.push({ module, errors: Object.values(catalogue) });
  return catalogue as ErrorCatalogue<T>;
}

/** Every catalogue loaded so far (a module's catalogue registers when its file is imported). */
export function registeredCatalogues(): readonly RegisteredCatalogue[] {
  return registry;
}

function fill(message: string, params: ErrorOptions['params']): string {
  return params ? message.replace(/\{(\w+)\}/g, (whole, key: string) => (key in params ? String(params[key]) : whole)) : message;
}
