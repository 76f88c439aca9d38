import { DatabaseErrors } from './database.errors.js';

// Driver error codes that mean "the database cannot be reached", as opposed to a bad query.
const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND',
  'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT', 'ER_CON_COUNT_ERROR', 'ER_SERVER_SHUTDOWN',
  'ER_CLIENT_INTERACTION_TIMEOUT', 'POOL_CLOSED', 'SQLITE_BUSY', 'SQLITE_CANTOPEN',
]);

function isConnectionError(error: unknown): boolean {
  for (let e: unknown = error; e; e = (e as { cause?: unknown; driverError?: unknown }).driverError ?? (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && CONNECTION_ERROR_CODES.has(code)) return true;
    if (/connect|connection lost|pool is closed|closed state/i.test((e as Error).message ?? '')) return true;
    if (e === (e as { cause?: unknown }).cause) break;
  }
  return false;
}

/** Runs a database call, turning "cannot reach the database" into a 503 instead of a 500. */
export async function withDatabase<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isConnectionError(error)) {
      throw DatabaseErrors.DATABASE_UNAVAILABLE({ cause: error });
    }
    throw error;
  }
}
