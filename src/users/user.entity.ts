import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** The original service's `user` table; `union_id` is new and `open_id` is now unique. */
@Entity({ name: 'user' })
export class User {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id!: number;

  @Index('uq_user_open_id', { unique: true })
  @Column({ name: 'open_id', type: 'varchar', length: 32 })
  openId!: string;

  @Column({ name: 'union_id', type: 'varchar', length: 64, nullable: true })
  unionId!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'datetime', nullable: true })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'datetime', nullable: true })
  updatedAt!: Date;
}
