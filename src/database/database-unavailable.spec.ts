import { DatabaseTimeoutError, DEFAULT_QUERY_TIMEOUT_MS, setDatabaseDeadline, withDatabase } from './database-unavailable.js';

const never = () => new Promise<never>(() => undefined);
const codeOf = (error: unknown) => (error as { code?: string }).code;

describe('withDatabase', () => {
  beforeEach(() => setDatabaseDeadline(40));
  afterAll(() => setDatabaseDeadline(DEFAULT_QUERY_TIMEOUT_MS));

  it("passes the work's answer through", async () => {
    await expect(withDatabase(() => Promise.resolve([{ id: 1 }]))).resolves.toEqual([{ id: 1 }]);
  });

  it('turns a database that does not answer within the deadline into DATABASE_UNAVAILABLE (503)', async () => {
    const started = Date.now();
    const error = await withDatabase(never).catch((e: unknown) => e);
    expect(Date.now() - started).toBeGreaterThanOrEqual(35);
    expect(codeOf(error)).toBe('DATABASE_UNAVAILABLE');
    expect((error as { status: number }).status).toBe(503);
    expect((error as { cause: unknown }).cause).toBeInstanceOf(DatabaseTimeoutError);
  });

  it('turns connection errors (a code, or one wrapped as driverError) into DATABASE_UNAVAILABLE, and leaves query errors as they are', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), { code: 'ECONNREFUSED' });
    expect(codeOf(await withDatabase(() => Promise.reject(refused)).catch((e: unknown) => e))).toBe('DATABASE_UNAVAILABLE');
    const wrapped = Object.assign(new Error('query failed'), { driverError: { code: 'PROTOCOL_CONNECTION_LOST', message: 'lost' } });
    expect(codeOf(await withDatabase(() => Promise.reject(wrapped)).catch((e: unknown) => e))).toBe('DATABASE_UNAVAILABLE');
    const closed = Object.assign(new Error('The database pool is closed'), { code: 'POOL_CLOSED' });
    expect(codeOf(await withDatabase(() => Promise.reject(closed)).catch((e: unknown) => e))).toBe('DATABASE_UNAVAILABLE');

    const syntax = Object.assign(new Error('You have an error in your SQL syntax'), { code: 'ER_PARSE_ERROR' });
    await expect(withDatabase(() => Promise.reject(syntax))).rejects.toBe(syntax);
  });

  it('turns work that throws before it starts into a rejection', async () => {
    const thrown = new TypeError('not a function');
    await expect(
      withDatabase(() => {
        throw thrown;
      }),
    ).rejects.toBe(thrown);
  });
});
