/**
 * Which backends this run uses. CI sets DATABASE_URL/REDIS_URL for the real MySQL + Redis run and
 * TEST_EMBEDDED=1 for the embedded run. Tests that need real services run when the URLs are set,
 * skip on a developer's embedded run, and fail loudly under CI unless the run is declared embedded.
 */
export const databaseUrl = process.env.DATABASE_URL || 'sqlite::memory:';
export const redisUrl = process.env.REDIS_URL || undefined;
/** REDIS_CLUSTER_NODES=host:port,… runs the suite's apps on a Redis Cluster instead (see .ci/redis-cluster.sh). */
export const redisClusterNodes = process.env.REDIS_CLUSTER_NODES || undefined;
export const usesMysql = databaseUrl.startsWith('mysql://') || databaseUrl.startsWith('mariadb://');
export const usesRedis = redisUrl !== undefined || redisClusterNodes !== undefined;
export const httpAdapter = process.env.HTTP_ADAPTER || 'express';

const ci = process.env.CI === 'true';
const embeddedRun = process.env.TEST_EMBEDDED === '1';

/** `describe` for tests that need real MySQL and/or Redis. */
export function describeWithServices(needs: { mysql?: boolean; redis?: boolean }, name: string, body: () => void): void {
  const missing = (needs.mysql && !usesMysql) || (needs.redis && !usesRedis);
  if (!missing) {
    describe(name, body);
    return;
  }
  if (ci && !embeddedRun) {
    describe(name, () => {
      it('has the services it needs', () => {
        throw new Error(`${name} needs ${needs.mysql ? 'DATABASE_URL=mysql://… ' : ''}${needs.redis ? 'REDIS_URL' : ''} under CI`);
      });
    });
    return;
  }
  // The "(needs …)" title is how .ci/check-skips.mjs tells a declared skip from any other: keep its shape.
  const services = [needs.mysql && 'MySQL', needs.redis && 'Redis'].filter(Boolean).join(' ');
  describe.skip(`${name} (needs ${services})`, body);
}
