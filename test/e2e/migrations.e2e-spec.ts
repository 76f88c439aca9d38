import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../src/database/data-source-options.js';
import { describeWithServices } from '../support/backends.js';
import { createScratchDatabase } from '../support/mysql-databases.js';

const run = promisify(execFile);

const LEGACY_DDL = `CREATE TABLE \`user\`( \`id\` int(20) unsigned NOT NULL AUTO_INCREMENT, \`open_id\` varchar(32) NOT NULL,
  \`created_at\` timestamp NULL DEFAULT CURRENT_TIMESTAMP,
  \`updated_at\` timestamp NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (\`id\`), KEY \`idx_oid\` (\`open_id\`) ) ENGINE=InnoDB default CHARSET=utf8mb4`;

async function withDataSource<T>(url: string, work: (ds: DataSource) => Promise<T>): Promise<T> {
  const ds = new DataSource(buildDataSourceOptions({ type: 'mysql', url, migrate: false }));
  await ds.initialize();
  try {
    return await work(ds);
  } finally {
    await ds.destroy();
  }
}

async function indexesOf(ds: DataSource, table: string): Promise<Array<{ Key_name: string; Non_unique: number; Column_name: string }>> {
  const rows: Array<{ Key_name: string; Non_unique: string | number; Column_name: string }> = await ds.query(`SHOW INDEX FROM \`${table}\``);
  return rows.map((row) => ({ Key_name: row.Key_name, Non_unique: Number(row.Non_unique), Column_name: row.Column_name }));
}

describeWithServices({ mysql: true }, 'MySQL migrations', () => {
  it('create the user table with a unique open_id on an empty database, and revert', async () => {
    const db = await createScratchDatabase('mig_empty');
    try {
      await withDataSource(db.url, async (ds) => {
        const applied = await ds.runMigrations();
        expect(applied.map((m) => m.name)).toEqual(['UserTable1764000000000', 'MessageLogTable1764000000001']);
        const unique = (await indexesOf(ds, 'user')).find((i) => i.Key_name === 'uq_user_open_id');
        expect(unique).toMatchObject({ Non_unique: 0, Column_name: 'open_id' });
        const columns = (await ds.query('SHOW COLUMNS FROM `user`')).map((c: { Field: string }) => c.Field);
        expect(columns).toEqual(['id', 'open_id', 'union_id', 'created_at', 'updated_at']);
        await expect(ds.query("INSERT INTO `user` (open_id) VALUES ('dup'), ('dup')")).rejects.toThrow(/Duplicate/);

        await ds.undoLastMigration();
        expect(await ds.query("SHOW TABLES LIKE 'message_log'")).toHaveLength(0);
        await ds.undoLastMigration();
        const reverted = await indexesOf(ds, 'user');
        expect(reverted.find((i) => i.Key_name === 'idx_oid')).toMatchObject({ Non_unique: 1 });
        expect(reverted.find((i) => i.Key_name === 'uq_user_open_id')).toBeUndefined();
        expect(await ds.showMigrations()).toBe(true);
      });
    } finally {
      await db.drop();
    }
  });

  it('upgrade the original table: one row per open_id, the oldest id kept, no other row lost', async () => {
    const db = await createScratchDatabase('mig_legacy');
    try {
      const connection = await mysql.createConnection({ uri: db.url });
      await connection.query(LEGACY_DDL);
      await connection.query(
        "INSERT INTO `user` (id, open_id, created_at) VALUES (1,'a','2019-01-01 00:00:00'),(2,'b','2019-01-02 00:00:00')," +
          "(3,'a','2019-01-03 00:00:00'),(4,'c','2019-01-04 00:00:00'),(5,'b','2019-01-05 00:00:00'),(6,'a','2019-01-06 00:00:00'),(7,'d','2019-01-07 00:00:00')",
      );
      await connection.end();

      await withDataSource(db.url, async (ds) => {
        await ds.runMigrations();
        const rows = await ds.query('SELECT id, open_id, union_id, created_at FROM `user` ORDER BY id');
        expect(rows.map((r: { id: number; open_id: string }) => [Number(r.id), r.open_id])).toEqual([[1, 'a'], [2, 'b'], [4, 'c'], [7, 'd']]);
        expect(rows.map((r: { union_id: unknown }) => r.union_id)).toEqual([null, null, null, null]);
        expect(new Date(rows[0].created_at).toISOString()).toBe('2019-01-01T00:00:00.000Z');
        const indexes = await indexesOf(ds, 'user');
        expect(indexes.find((i) => i.Key_name === 'uq_user_open_id')).toMatchObject({ Non_unique: 0 });
        expect(indexes.find((i) => i.Key_name === 'idx_oid')).toBeUndefined();
        await ds.undoLastMigration();
        await ds.undoLastMigration();
        expect(Number((await ds.query('SELECT COUNT(*) AS n FROM `user`'))[0].n)).toBe(4);
      });
    } finally {
      await db.drop();
    }
  });

  it('run through the TypeORM CLI with the DataSource of ormconfig.ts, and through dist/database/migrate.js', async () => {
    const db = await createScratchDatabase('mig_cli');
    try {
      const env = { ...process.env, DATABASE_URL: db.url, NODE_OPTIONS: '' };
      const up = await run('npm', ['run', '--silent', 'migration:run'], { env, timeout: 60_000 });
      expect(up.stdout).toMatch(/UserTable1764000000000 has been executed successfully/);
      const down = await run('npm', ['run', '--silent', 'migration:revert'], { env, timeout: 60_000 });
      expect(down.stdout).toMatch(/MessageLogTable1764000000001 has been reverted successfully/);
      await withDataSource(db.url, async (ds) => {
        expect(await ds.query("SHOW TABLES LIKE 'message_log'")).toHaveLength(0);
        expect(await ds.query("SHOW TABLES LIKE 'user'")).toHaveLength(1);
      });
      // The runtime image's way, without the CLI: src/database/migrate.ts (dist/database/migrate.js).
      const again = await run('node', ['--import', 'tsx', 'src/database/migrate.ts', 'run'], { env, timeout: 60_000 });
      expect(again.stdout).toContain('Applied: MessageLogTable1764000000001');
      const none = await run('node', ['--import', 'tsx', 'src/database/migrate.ts', 'run'], { env, timeout: 60_000 });
      expect(none.stdout).toContain('No pending migrations.');
    } finally {
      await db.drop();
    }
  });
});
