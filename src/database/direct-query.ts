import type { DataSource } from 'typeorm';

/** One statement with `?` placeholders; resolves to the driver's result (rows for a SELECT). */
export type DirectQuery = <T = unknown>(sql: string, parameters: readonly unknown[]) => Promise<T>;

interface MysqlPool {
  query(sql: string, parameters: readonly unknown[], callback: (error: Error | null, result: unknown) => void): void;
}

/** What a query on a closed pool fails with: a connection error (see withDatabase), as mysql2's own is. */
class PoolClosedError extends Error {
  override name = 'PoolClosedError';
  readonly code = 'POOL_CLOSED';
}

/**
 * For fixed SQL on the hot paths (login, send): on MySQL, the statement goes straight to the pool
 * TypeORM made (same options, so the same type parsing and time zone). TypeORM's own query() takes
 * a query runner, a connection promise, two event broadcasts and mysql2's promise wrapper per
 * statement: more CPU than the statement itself costs us (bench/results.md). Errors are mysql2's
 * (`code`, `errno`), not wrapped in QueryFailedError. SQLite goes through TypeORM as before.
 */
export function directQuery(dataSource: DataSource): DirectQuery {
  if (dataSource.options.type !== 'mysql') {
    return <T>(sql: string, parameters: readonly unknown[]) => dataSource.query<T>(sql, [...parameters]);
  }
  // Read on each call: TypeORM sets the pool when the data source connects and drops it on destroy.
  const driver = dataSource.driver as unknown as { pool?: MysqlPool };
  return <T>(sql: string, parameters: readonly unknown[]) =>
    new Promise<T>((resolve, reject) => {
      const pool = driver.pool;
      if (!pool) {
        reject(new PoolClosedError('The database pool is closed'));
        return;
      }
      pool.query(sql, parameters, (error, result) => (error ? reject(error) : resolve(result as T)));
    });
}
