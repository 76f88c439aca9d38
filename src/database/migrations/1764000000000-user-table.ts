import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Creates `user`, or upgrades the original service's table in place: that table allowed several
 * rows per open_id, so the oldest row (lowest id) of each open_id is kept before the unique index
 * goes on. open_id is compared byte for byte first (openids are case-sensitive: `oAb…` and `oab…`
 * are two users, never merged). `down` returns to the original shape rather than dropping anyone's data.
 */
export class UserTable1764000000000 implements MigrationInterface {
  name = 'UserTable1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (!(await queryRunner.hasTable('user'))) {
      await queryRunner.query(
        'CREATE TABLE `user` (' +
          '`id` int unsigned NOT NULL AUTO_INCREMENT, ' +
          '`open_id` varchar(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL, ' +
          '`union_id` varchar(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL, ' +
          '`created_at` timestamp NULL DEFAULT CURRENT_TIMESTAMP, ' +
          '`updated_at` timestamp NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, ' +
          'PRIMARY KEY (`id`), UNIQUE KEY `uq_user_open_id` (`open_id`)' +
          ') ENGINE=InnoDB DEFAULT CHARSET=utf8mb4',
      );
      return;
    }
    await queryRunner.query('ALTER TABLE `user` MODIFY `open_id` varchar(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL');
    await queryRunner.query(
      'DELETE duplicate FROM `user` duplicate JOIN `user` kept ON kept.`open_id` = duplicate.`open_id` AND kept.`id` < duplicate.`id`',
    );
    const legacyIndex = (await queryRunner.query("SHOW INDEX FROM `user` WHERE Key_name = 'idx_oid'")) as unknown[];
    const changes = [
      'ADD COLUMN `union_id` varchar(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL AFTER `open_id`',
      ...(legacyIndex.length > 0 ? ['DROP INDEX `idx_oid`'] : []),
      'ADD UNIQUE KEY `uq_user_open_id` (`open_id`)',
    ];
    await queryRunner.query(`ALTER TABLE \`user\` ${changes.join(', ')}`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE `user` DROP INDEX `uq_user_open_id`, ADD KEY `idx_oid` (`open_id`), DROP COLUMN `union_id`, MODIFY `open_id` varchar(32) NOT NULL',
    );
  }
}
