import { withinDeadline } from '../common/deadline.js';
import { DomainError } from '../common/errors/domain.error.js';
import { DatabaseErrors } from './database.errors.js';

// Driver error codes that mean "the database cannot be reached", as opposed to a bad query.
const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_CLIENT_INTERACTION_TIMEOUT',
  'POOL_CLOSED',
  'SQLITE_BUSY',
  'SQLITE_CANTOPEN',
]);

export const DEFAULT_QUERY_TIMEOUT_MS = 2000;
let queryTimeoutMs = DEFAULT_QUERY_TIMEOUT_MS;

/**
 * DB_QUERY_TIMEOUT_MS for every withDatabase call (set once at start from the configuration; the
 * repositories need no wiring for it). One value per process: the apps of one test process share it.
 */
export function setDatabaseDeadline(timeoutMs: number | undefined): void {
  queryTimeoutMs = timeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
}

export class DatabaseTimeoutError extends Error {
  override name = 'DatabaseTimeoutError';
  readonly code = 'ETIMEDOUT';
}

function isConnectionError(error: unknown): boolean {
  for (let e: unknown = error; e; e = (e as { cause?: unknown; driverError?: unknown }).driverError ?? (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && CONNECTION_ERROR_CODES.has(code)) return true;
    if (/connect|connection lost|pool is closed|closed state|queue limit/i.test((e as Error).message ?? '')) return true;
    if (e === (e as { cause?: unknown }).cause) break;
  }
  return false;
}

/**
 * Runs a database call within DB_QUERY_TIMEOUT_MS (waiting for a pooled connection included),
 * turning "cannot reach the database" and "the database does not answer" into a 503 instead of a
 * 500 or a hang. A call that lost the race may still complete later (a write may still commit):
 * writes that must not happen twice are idempotent (see MessageLogRepository.insertOnce).
 */
export function withDatabase<T>(work: () => Promise<T>): Promise<T> {
  return withinDeadline(
    work,
    queryTimeoutMs,
    () => new DatabaseTimeoutError(`The database did not answer within ${queryTimeoutMs} ms`),
    (error) => (isConnectionError(error) ? DatabaseErrors.DATABASE_UNAVAILABLE({ cause: error }) : (error as Error)),
  );
}

/** The error withDatabase fails with when the database cannot be reached or does not answer in time. */
export function isDatabaseUnavailable(error: unknown): boolean {
  return error instanceof DomainError && error.code === 'DATABASE_UNAVAILABLE';
}
