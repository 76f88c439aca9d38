import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Batch sending: the batch, one row per recipient (its send state), and message_log.batch_id. */
export class Batches1764000000400 implements MigrationInterface {
  name = 'Batches1764000000400';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE `batch` (' +
        '`id` varchar(36) COLLATE utf8mb4_bin NOT NULL, ' +
        '`template_id` varchar(128) COLLATE utf8mb4_bin NOT NULL, ' +
        '`page` varchar(512) NULL, ' +
        '`data` mediumtext NOT NULL, ' +
        '`miniprogram_state` varchar(16) NULL, ' +
        '`lang` varchar(16) NULL, ' +
        '`requested_by` varchar(96) NOT NULL, ' +
        '`total` int NOT NULL, ' +
        '`status` varchar(16) NOT NULL, ' +
        '`created_at` datetime(3) NOT NULL, ' +
        '`finished_at` datetime(3) NULL, ' +
        'PRIMARY KEY (`id`)' +
        ') ENGINE=InnoDB DEFAULT CHARSET=utf8mb4',
    );
    await queryRunner.query(
      'CREATE TABLE `batch_recipient` (' +
        '`batch_id` varchar(36) COLLATE utf8mb4_bin NOT NULL, ' +
        '`seq` int NOT NULL, ' +
        '`open_id` varchar(64) COLLATE utf8mb4_bin NOT NULL, ' +
        '`data` text NULL, ' +
        '`state` varchar(16) NOT NULL, ' +
        '`attempts` int NOT NULL DEFAULT 0, ' +
        'PRIMARY KEY (`batch_id`, `seq`)' +
        ') ENGINE=InnoDB DEFAULT CHARSET=utf8mb4',
    );
    await queryRunner.query(
      'ALTER TABLE `message_log` ADD `batch_id` varchar(36) COLLATE utf8mb4_bin NULL, ADD KEY `idx_message_log_batch_id` (`batch_id`, `id`)',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE `message_log` DROP KEY `idx_message_log_batch_id`, DROP COLUMN `batch_id`');
    await queryRunner.query('DROP TABLE `batch_recipient`');
    await queryRunner.query('DROP TABLE `batch`');
  }
}
