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
  const rows: Array<{ Key_name: string; Non_unique: string | number; Column_name: string }> = await ds.query(
    `SHOW INDEX FROM \`${table}\``,
  );
  return rows.map((row) => ({ Key_name: row.Key_name, Non_unique: Number(row.Non_unique), Column_name: row.Column_name }));
}

const BINARY_COLLATIONS = {
  'message_log.msgid': 'utf8mb4_bin',
  'message_log.open_id': 'utf8mb4_bin',
  'message_log.template_id': 'utf8mb4_bin',
  'user.open_id': 'utf8mb4_bin',
  'user.union_id': 'utf8mb4_bin',
};

async function collationsOf(ds: DataSource): Promise<Record<string, string>> {
  const rows: Array<{ name: string; collation: string }> = await ds.query(
    "SELECT CONCAT(TABLE_NAME, '.', COLUMN_NAME) AS name, COLLATION_NAME AS collation FROM information_schema.COLUMNS " +
      "WHERE TABLE_SCHEMA = DATABASE() AND CONCAT(TABLE_NAME, '.', COLUMN_NAME) IN (?) ORDER BY name",
    [Object.keys(BINARY_COLLATIONS)],
  );
  return Object.fromEntries(rows.map((row) => [row.name, row.collation]));
}

describeWithServices({ mysql: true }, 'MySQL migrations', () => {
  it('create the user table with a unique open_id on an empty database, and revert', async () => {
    const db = await createScratchDatabase('mig_empty');
    try {
      await withDataSource(db.url, async (ds) => {
        const applied = await ds.runMigrations();
        expect(applied.map((m) => m.name)).toEqual([
          'UserTable1764000000000',
          'MessageLogTable1764000000001',
          'WechatIdsBinary1764000000100',
          'MessageLogEntryKey1764000000101',
          'UserProfileColumns1764000000200',
          'SubscriptionAndDelivery1764000000300',
          'Batches1764000000400',
        ]);
        const unique = (await indexesOf(ds, 'user')).find((i) => i.Key_name === 'uq_user_open_id');
        expect(unique).toMatchObject({ Non_unique: 0, Column_name: 'open_id' });
        const columns = (await ds.query('SHOW COLUMNS FROM `user`')).map((c: { Field: string }) => c.Field);
        expect(columns).toEqual([
          'id',
          'open_id',
          'union_id',
          'nickname',
          'avatar_url',
          'phone_number',
          'pure_phone_number',
          'country_code',
          'created_at',
          'updated_at',
        ]);
        await expect(ds.query("INSERT INTO `user` (open_id) VALUES ('dup'), ('dup')")).rejects.toThrow(/Duplicate/);
        await ds.query("INSERT INTO `user` (open_id) VALUES ('oCase'), ('ocase')");
        expect(await collationsOf(ds)).toEqual(BINARY_COLLATIONS);

        const subscriptionColumns: Array<{ Field: string; Collation: string | null }> = await ds.query(
          'SHOW FULL COLUMNS FROM `subscription`',
        );
        expect(subscriptionColumns.map((c) => [c.Field, c.Collation])).toEqual([
          ['id', null],
          ['open_id', 'utf8mb4_bin'],
          ['template_id', 'utf8mb4_bin'],
          ['status', expect.any(String)],
          ['remaining', null],
          ['updated_at', null],
        ]);
        const insert =
          "INSERT INTO `subscription` (open_id, template_id, status, remaining, updated_at) VALUES (?, 'tpl', 'accept', 1, NOW(3))";
        await ds.query(insert, ['oCase']);
        await ds.query(insert, ['ocase']); // byte for byte: another user
        await expect(ds.query(insert, ['oCase'])).rejects.toThrow(/Duplicate/);
        const logColumns = (await ds.query('SHOW COLUMNS FROM `message_log`')).map((c: { Field: string }) => c.Field);
        expect(logColumns).toEqual(expect.arrayContaining(['delivery', 'delivery_errcode']));
        expect((await indexesOf(ds, 'message_log')).find((i) => i.Key_name === 'idx_message_log_msgid')).toMatchObject({
          Column_name: 'msgid',
        });

        // Batches: WeChat identifiers compared byte for byte; message_log.batch_id with its index; a working down.
        const recipientColumns: Array<{ Field: string; Collation: string | null }> = await ds.query(
          'SHOW FULL COLUMNS FROM `batch_recipient`',
        );
        expect(recipientColumns.find((c) => c.Field === 'open_id')?.Collation).toBe('utf8mb4_bin');
        expect((await indexesOf(ds, 'message_log')).find((i) => i.Key_name === 'idx_message_log_batch_id')).toMatchObject({
          Column_name: 'batch_id',
        });
        await ds.undoLastMigration();
        expect(await ds.query("SHOW TABLES LIKE 'batch%'")).toHaveLength(0);
        expect((await ds.query('SHOW COLUMNS FROM `message_log`')).map((c: { Field: string }) => c.Field)).not.toContain('batch_id');

        await ds.undoLastMigration();
        expect(await ds.query("SHOW TABLES LIKE 'subscription'")).toHaveLength(0);
        expect((await ds.query('SHOW COLUMNS FROM `message_log`')).map((c: { Field: string }) => c.Field)).not.toContain('delivery');
        await ds.undoLastMigration();
        expect((await ds.query('SHOW COLUMNS FROM `user`')).map((c: { Field: string }) => c.Field)).toEqual([
          'id',
          'open_id',
          'union_id',
          'created_at',
          'updated_at',
        ]);
        await ds.undoLastMigration();
        expect((await ds.query('SHOW COLUMNS FROM `message_log`')).map((c: { Field: string }) => c.Field)).not.toContain('entry_key');
        await ds.query("DELETE FROM `user` WHERE open_id = 'ocase' COLLATE utf8mb4_bin");
        await ds.undoLastMigration();
        expect(Object.values(await collationsOf(ds)).every((c) => c !== 'utf8mb4_bin')).toBe(true);
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

  it('upgrade the original table: one row per open_id compared byte for byte (a and A stay two users), the oldest id kept, no other row lost', async () => {
    const db = await createScratchDatabase('mig_legacy');
    try {
      const connection = await mysql.createConnection({ uri: db.url });
      await connection.query(LEGACY_DDL);
      await connection.query(
        "INSERT INTO `user` (id, open_id, created_at) VALUES (1,'a','2019-01-01 00:00:00'),(2,'b','2019-01-02 00:00:00')," +
          "(3,'a','2019-01-03 00:00:00'),(4,'c','2019-01-04 00:00:00'),(5,'b','2019-01-05 00:00:00'),(6,'a','2019-01-06 00:00:00'),(7,'d','2019-01-07 00:00:00')," +
          "(8,'A','2019-01-08 00:00:00'),(9,'D','2019-01-09 00:00:00'),(10,'A','2019-01-10 00:00:00')",
      );
      await connection.end();

      await withDataSource(db.url, async (ds) => {
        await ds.runMigrations();
        const rows = await ds.query('SELECT id, open_id, union_id, created_at FROM `user` ORDER BY id');
        expect(rows.map((r: { id: number; open_id: string }) => [Number(r.id), r.open_id])).toEqual([
          [1, 'a'],
          [2, 'b'],
          [4, 'c'],
          [7, 'd'],
          [8, 'A'],
          [9, 'D'],
        ]);
        expect(rows.map((r: { union_id: unknown }) => r.union_id)).toEqual([null, null, null, null, null, null]);
        expect(new Date(rows[0].created_at).toISOString()).toBe('2019-01-01T00:00:00.000Z');
        const indexes = await indexesOf(ds, 'user');
        expect(indexes.find((i) => i.Key_name === 'uq_user_open_id')).toMatchObject({ Non_unique: 0 });
        expect(indexes.find((i) => i.Key_name === 'idx_oid')).toBeUndefined();
        const binary = ds.migrations.findIndex((m) => m.name === 'WechatIdsBinary1764000000100');
        for (let left = ds.migrations.length; left > binary + 1; left -= 1) await ds.undoLastMigration();
        // Back to a case-insensitive unique open_id would merge users: the revert refuses instead.
        await expect(ds.undoLastMigration()).rejects.toThrow(/Duplicate/);
        await ds.query("DELETE FROM `user` WHERE open_id IN ('A', 'D')"); // still binary: only the upper-case rows
        for (let left = binary + 1; left > 0; left -= 1) await ds.undoLastMigration();
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
      expect(down.stdout).toMatch(/Batches1764000000400 has been reverted successfully/);
      await withDataSource(db.url, async (ds) => {
        expect(await ds.query("SHOW TABLES LIKE 'batch'")).toHaveLength(0);
        expect(await ds.query("SHOW TABLES LIKE 'message_log'")).toHaveLength(1);
      });
      // The runtime image's way, without the CLI: src/database/migrate.ts (dist/database/migrate.js).
      const again = await run('node', ['--import', 'tsx', 'src/database/migrate.ts', 'run'], { env, timeout: 60_000 });
      expect(again.stdout).toContain('Applied: Batches1764000000400');
      const none = await run('node', ['--import', 'tsx', 'src/database/migrate.ts', 'run'], { env, timeout: 60_000 });
      expect(none.stdout).toContain('No pending migrations.');
    } finally {
      await db.drop();
    }
  });

  it('add the profile and phone columns to a table that has users, and revert keeping every user', async () => {
    const db = await createScratchDatabase('mig_profile');
    try {
      await withDataSource(db.url, async (ds) => {
        const migrations = ds.migrations.map((m) => m.name);
        const profile = migrations.indexOf('UserProfileColumns1764000000200');
        expect(profile).toBeGreaterThan(-1);
        // Everything before the profile migration, then users in the table, then the profile migration.
        await ds.runMigrations();
        for (let i = migrations.length - 1; i >= profile; i -= 1) await ds.undoLastMigration();
        await ds.query(
          "INSERT INTO `user` (open_id, union_id, created_at) VALUES ('oA', 'uA', '2020-01-01 00:00:00'), ('oB', NULL, '2020-01-02 00:00:00')",
        );

        await ds.runMigrations();
        const rows = await ds.query(
          'SELECT open_id, union_id, nickname, avatar_url, phone_number, pure_phone_number, country_code, created_at FROM `user` ORDER BY id',
        );
        expect(
          rows.map((r: Record<string, unknown>) => [
            r.open_id,
            r.union_id,
            r.nickname,
            r.avatar_url,
            r.phone_number,
            r.pure_phone_number,
            r.country_code,
          ]),
        ).toEqual([
          ['oA', 'uA', null, null, null, null, null],
          ['oB', null, null, null, null, null, null],
        ]);
        expect(new Date(rows[0].created_at).toISOString()).toBe('2020-01-01T00:00:00.000Z');
        // Emoji are 4-byte utf8mb4 and count as one of the 64 characters; 1024-character avatar URLs fit.
        const nickname = '😀'.repeat(64);
        const avatar = `https://example.com/${'a'.repeat(1004)}`;
        await ds.query(
          'UPDATE `user` SET nickname = ?, avatar_url = ?, phone_number = ?, pure_phone_number = ?, country_code = ? WHERE open_id = ?',
          [nickname, avatar, '+1 4155550100', '4155550100', '1', 'oA'],
        );
        const [stored] = await ds.query("SELECT nickname, avatar_url, phone_number FROM `user` WHERE open_id = 'oA'");
        expect(stored).toEqual({ nickname, avatar_url: avatar, phone_number: '+1 4155550100' });

        for (let i = migrations.length - 1; i >= profile; i -= 1) await ds.undoLastMigration();
        const columns = (await ds.query('SHOW COLUMNS FROM `user`')).map((c: { Field: string }) => c.Field);
        for (const gone of ['nickname', 'avatar_url', 'phone_number', 'pure_phone_number', 'country_code'])
          expect(columns).not.toContain(gone);
        expect(columns).toEqual(expect.arrayContaining(['id', 'open_id', 'union_id', 'created_at', 'updated_at']));
        const kept = await ds.query('SELECT open_id, union_id FROM `user` ORDER BY id');
        expect(kept).toEqual([
          { open_id: 'oA', union_id: 'uA' },
          { open_id: 'oB', union_id: null },
        ]);
        // And up again over the same rows.
        await ds.runMigrations();
        expect(Number((await ds.query('SELECT COUNT(*) AS n FROM `user` WHERE nickname IS NULL'))[0].n)).toBe(2);
      });
    } finally {
      await db.drop();
    }
  });
});
