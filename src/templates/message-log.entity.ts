import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type MessageKind = 'subscribe' | 'legacy';
/** `unknown`: a batch send that may have reached WeChat, whose outcome died with its instance. */
export type MessageStatus = 'sent' | 'failed' | 'unknown';
/** What WeChat's subscribe_msg_sent_event reported; null until it arrives. */
export type MessageDelivery = 'delivered' | 'failed';

/** One row per send request that reached WeChat (a transparent token retry is the same attempt). */
@Entity({ name: 'message_log' })
@Index('idx_message_log_open_id', ['openId', 'id'])
@Index('idx_message_log_created_at', ['createdAt'])
@Index('idx_message_log_msgid', ['msgid'])
@Index('idx_message_log_batch_id', ['batchId', 'id'])
export class MessageLog {
  @PrimaryGeneratedColumn({ type: 'int', unsigned: true })
  id!: number;

  @Column({ name: 'open_id', type: 'varchar', length: 64 })
  openId!: string;

  @Column({ name: 'template_id', type: 'varchar', length: 128 })
  templateId!: string;

  @Column({ type: 'varchar', length: 512, nullable: true })
  page!: string | null;

  @Column({ type: 'varchar', length: 16 })
  kind!: MessageKind;

  @Column({ type: 'varchar', length: 16 })
  status!: MessageStatus;

  @Column({ type: 'int', nullable: true })
  errcode!: number | null;

  @Column({ type: 'varchar', length: 512, nullable: true })
  errmsg!: string | null;

  @Column({ type: 'varchar', length: 32, nullable: true })
  msgid!: string | null;

  @Column({ type: 'varchar', length: 16, nullable: true })
  delivery!: MessageDelivery | null;

  @Column({ name: 'delivery_errcode', type: 'int', nullable: true })
  deliveryErrcode!: number | null;

  @Column({ name: 'requested_by', type: 'varchar', length: 96 })
  requestedBy!: string;

  /** The batch this send belongs to; null for single sends. */
  @Column({ name: 'batch_id', type: 'varchar', length: 36, nullable: true })
  batchId!: string | null;

  /** Chosen by the send: the same row written twice (retry outbox, a late commit) stays one. */
  @Index('uq_message_log_entry_key', { unique: true })
  @Column({ name: 'entry_key', type: 'varchar', length: 36, nullable: true })
  entryKey!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;
}
