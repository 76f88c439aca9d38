import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each message_log row gets the key its send chose (a UUID), unique: a row written again from the
 * retry outbox, or by an insert that timed out and committed later, stays one row. Older rows have
 * none (NULL is not a duplicate).
 */
export class MessageLogEntryKey1764000000101 implements MigrationInterface {
  name = 'MessageLogEntryKey1764000000101';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE `message_log` ADD COLUMN `entry_key` char(36) CHARACTER SET ascii COLLATE ascii_bin NULL, ' +
        'ADD UNIQUE KEY `uq_message_log_entry_key` (`entry_key`)',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE `message_log` DROP INDEX `uq_message_log_entry_key`, DROP COLUMN `entry_key`');
  }
}
