import mysql from 'mysql2/promise';
import { databaseUrl } from './backends.js';

/** Scratch databases on the configured MySQL server, for tests that need an empty schema. */
export async function createScratchDatabase(tag: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `wechat_${tag}_${process.pid}_${Date.now().toString(36)}`;
  const admin = await mysql.createConnection({ uri: databaseUrl });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
  await admin.end();
  const url = new URL(databaseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const connection = await mysql.createConnection({ uri: databaseUrl });
      await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await connection.end();
    },
  };
}
