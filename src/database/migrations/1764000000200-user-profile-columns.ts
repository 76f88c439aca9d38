import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The user's profile and phone number (issue 13). All nullable: existing rows simply have none yet.
 * Sizes: a nickname is at most 64 code points (utf8mb4 varchar counts characters, emoji included);
 * an avatar URL at most 1024 characters; WeChat's phone fields are short digit strings.
 */
export class UserProfileColumns1764000000200 implements MigrationInterface {
  name = 'UserProfileColumns1764000000200';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE `user` ' +
        'ADD COLUMN `nickname` varchar(64) CHARACTER SET utf8mb4 NULL AFTER `union_id`, ' +
        'ADD COLUMN `avatar_url` varchar(1024) CHARACTER SET utf8mb4 NULL AFTER `nickname`, ' +
        'ADD COLUMN `phone_number` varchar(32) CHARACTER SET utf8mb4 NULL AFTER `avatar_url`, ' +
        'ADD COLUMN `pure_phone_number` varchar(32) CHARACTER SET utf8mb4 NULL AFTER `phone_number`, ' +
        'ADD COLUMN `country_code` varchar(8) CHARACTER SET utf8mb4 NULL AFTER `pure_phone_number`',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE `user` DROP COLUMN `nickname`, DROP COLUMN `avatar_url`, DROP COLUMN `phone_number`, ' +
        'DROP COLUMN `pure_phone_number`, DROP COLUMN `country_code`',
    );
  }
}
