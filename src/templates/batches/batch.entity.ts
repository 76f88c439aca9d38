import { Column, Entity, PrimaryColumn } from 'typeorm';

export type BatchStatus = 'queued' | 'running' | 'done' | 'canceled';

/** One POST /templates/batches: what to send; each recipient is a BatchRecipient row. */
@Entity({ name: 'batch' })
export class Batch {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'template_id', type: 'varchar', length: 128 })
  templateId!: string;

  @Column({ type: 'varchar', length: 512, nullable: true })
  page!: string | null;

  /** The shared keyword data, JSON. */
  @Column({ type: 'text' })
  data!: string;

  @Column({ name: 'miniprogram_state', type: 'varchar', length: 16, nullable: true })
  miniprogramState!: string | null;

  @Column({ type: 'varchar', length: 16, nullable: true })
  lang!: string | null;

  @Column({ name: 'requested_by', type: 'varchar', length: 96 })
  requestedBy!: string;

  @Column({ type: 'int' })
  total!: number;

  @Column({ type: 'varchar', length: 16 })
  status!: BatchStatus;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'finished_at', type: 'datetime', precision: 3, nullable: true })
  finishedAt!: Date | null;
}
