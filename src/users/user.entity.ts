import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** The original service's `user` table; `union_id` and the profile/phone columns are new and `open_id` is now unique. */
@Entity({ name: 'user' })
export class User {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id!: number;

  @Index('uq_user_open_id', { unique: true })
  @Column({ name: 'open_id', type: 'varchar', length: 32 })
  openId!: string;

  @Column({ name: 'union_id', type: 'varchar', length: 64, nullable: true })
  unionId!: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  nickname!: string | null;

  @Column({ name: 'avatar_url', type: 'varchar', length: 1024, nullable: true })
  avatarUrl!: string | null;

  /** WeChat's `phoneNumber`: with the area code for numbers outside China. Personal data: never logged. */
  @Column({ name: 'phone_number', type: 'varchar', length: 32, nullable: true })
  phoneNumber!: string | null;

  @Column({ name: 'pure_phone_number', type: 'varchar', length: 32, nullable: true })
  purePhoneNumber!: string | null;

  @Column({ name: 'country_code', type: 'varchar', length: 8, nullable: true })
  countryCode!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'datetime', nullable: true })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'datetime', nullable: true })
  updatedAt!: Date;
}
