import { Column, Entity, PrimaryGeneratedColumn, Unique } from 'typeorm';

export type SubscriptionStatus = 'accept' | 'reject';

/** A user's answer for one subscribe template, and the sends it still allows (one per accept). */
@Entity({ name: 'subscription' })
@Unique('uq_subscription_open_id_template_id', ['openId', 'templateId'])
export class Subscription {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id!: number;

  // Binary collation: WeChat identifiers compare byte for byte (set by the migration on MySQL).
  @Column({ name: 'open_id', type: 'varchar', length: 64 })
  openId!: string;

  @Column({ name: 'template_id', type: 'varchar', length: 128 })
  templateId!: string;

  @Column({ type: 'varchar', length: 16 })
  status!: SubscriptionStatus;

  @Column({ type: 'int', unsigned: true, default: 0 })
  remaining!: number;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt!: Date;
}
