import type { MigrationInterface, QueryRunner } from 'typeorm';

export class MessageLogTable1764000000001 implements MigrationInterface {
  name = 'MessageLogTable1764000000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE `message_log` (' +
        '`id` int unsigned NOT NULL AUTO_INCREMENT, ' +
        '`open_id` varchar(64) NOT NULL, ' +
        '`template_id` varchar(128) NOT NULL, ' +
        '`page` varchar(512) NULL, ' +
        '`kind` varchar(16) NOT NULL, ' +
        '`status` varchar(16) NOT NULL, ' +
        '`errcode` int NULL, ' +
        '`errmsg` varchar(512) NULL, ' +
        '`msgid` varchar(32) NULL, ' +
        '`requested_by` varchar(96) NOT NULL, ' +
        '`created_at` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), ' +
        'PRIMARY KEY (`id`), ' +
        'KEY `idx_message_log_open_id` (`open_id`, `id`), ' +
        'KEY `idx_message_log_created_at` (`created_at`)' +
        ') ENGINE=InnoDB DEFAULT CHARSET=utf8mb4',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE `message_log`');
  }
}
