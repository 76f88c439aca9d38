import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Subscribe-message consent and credits (push callback), and the delivery result on message_log. */
export class SubscriptionAndDelivery1764000000300 implements MigrationInterface {
  name = 'SubscriptionAndDelivery1764000000300';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE `subscription` (' +
        '`id` int unsigned NOT NULL AUTO_INCREMENT, ' +
        '`open_id` varchar(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL, ' +
        '`template_id` varchar(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL, ' +
        '`status` varchar(16) NOT NULL, ' +
        '`remaining` int unsigned NOT NULL DEFAULT 0, ' +
        '`updated_at` datetime(3) NOT NULL, ' +
        'PRIMARY KEY (`id`), ' +
        'UNIQUE KEY `uq_subscription_open_id_template_id` (`open_id`, `template_id`)' +
        ') ENGINE=InnoDB DEFAULT CHARSET=utf8mb4',
    );
    await queryRunner.query(
      'ALTER TABLE `message_log` ' +
        'ADD `delivery` varchar(16) NULL, ' +
        'ADD `delivery_errcode` int NULL, ' +
        'ADD KEY `idx_message_log_msgid` (`msgid`)',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE `message_log` DROP KEY `idx_message_log_msgid`, DROP `delivery_errcode`, DROP `delivery`');
    await queryRunner.query('DROP TABLE `subscription`');
  }
}
