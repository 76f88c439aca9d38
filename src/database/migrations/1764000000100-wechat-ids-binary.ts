import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * WeChat identifiers are case-sensitive: with the server's default (case-insensitive) collation
 * `oAbC…` and `oabc…` were one user. open_id, union_id, template ids and msgids compare byte for
 * byte from here on. `down` gives them the table's default collation back; it fails (rather than
 * merging users) while two openids differ only in case.
 */
export class WechatIdsBinary1764000000100 implements MigrationInterface {
  name = 'WechatIdsBinary1764000000100';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE `user` ' +
        'MODIFY `open_id` varchar(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL, ' +
        'MODIFY `union_id` varchar(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL',
    );
    await queryRunner.query(
      'ALTER TABLE `message_log` ' +
        'MODIFY `open_id` varchar(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL, ' +
        'MODIFY `template_id` varchar(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL, ' +
        'MODIFY `msgid` varchar(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE `message_log` MODIFY `open_id` varchar(64) NOT NULL, MODIFY `template_id` varchar(128) NOT NULL, MODIFY `msgid` varchar(32) NULL',
    );
    await queryRunner.query('ALTER TABLE `user` MODIFY `open_id` varchar(32) NOT NULL, MODIFY `union_id` varchar(64) NULL');
  }
}
