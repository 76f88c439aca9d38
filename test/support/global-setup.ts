import { createClient, createCluster } from '@redis/client';
import mysql from 'mysql2/promise';

// Self-contained: jest loads globalSetup outside the module mapper that resolves relative '.js' imports.
const databaseUrl = process.env.DATABASE_URL || '';
const redisUrl = process.env.REDIS_URL || '';
const clusterNodes = process.env.REDIS_CLUSTER_NODES || '';
const usesMysql = /^(mysql|mariadb):\/\//.test(databaseUrl);

/** Fails the whole run at once when CI's services are configured but do not answer. */
export default async function globalSetup(): Promise<void> {
  if (process.env.CI === 'true' && process.env.TEST_EMBEDDED !== '1' && (!usesMysql || !(redisUrl || clusterNodes))) {
    throw new Error('Under CI the e2e suite needs DATABASE_URL=mysql://… and REDIS_URL (or TEST_EMBEDDED=1)');
  }
  if (usesMysql) {
    const connection = await mysql.createConnection({ uri: databaseUrl, connectTimeout: 5000 });
    await connection.query('SELECT 1');
    await connection.end();
  }
  if (clusterNodes) {
    const cluster = createCluster({
      rootNodes: clusterNodes.split(',').map((node) => {
        const [host, port] = node.trim().split(':');
        return { socket: { host, port: Number(port), connectTimeout: 5000, reconnectStrategy: false as const } };
      }),
    });
    await cluster.connect();
    for (const master of cluster.masters) await (await cluster.nodeClient(master)).flushAll();
    await cluster.close();
  } else if (redisUrl) {
    const client = createClient({ url: redisUrl, socket: { connectTimeout: 5000, reconnectStrategy: false } });
    await client.connect();
    await client.flushDb();
    await client.close();
  }
}
