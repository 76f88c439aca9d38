import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * pending → sending (claimed, about to call WeChat) → sent | failed; a recipient still `sending`
 * when its chunk is picked up again was in flight on a worker that died: it becomes `unknown`,
 * never sent again. A retryable failure puts it back to pending with one more attempt.
 */
export type RecipientState = 'pending' | 'sending' | 'sent' | 'failed' | 'unknown';

@Entity({ name: 'batch_recipient' })
export class BatchRecipient {
  @PrimaryColumn({ name: 'batch_id', type: 'varchar', length: 36 })
  batchId!: string;

  /** Position in the request's recipients (0-based): chunks of the queue are seq ranges. */
  @PrimaryColumn({ type: 'int' })
  seq!: number;

  @Column({ name: 'open_id', type: 'varchar', length: 64 })
  openId!: string;

  /** The recipient's own keyword overrides, JSON, or null. */
  @Column({ type: 'text', nullable: true })
  data!: string | null;

  @Column({ type: 'varchar', length: 16 })
  state!: RecipientState;

  @Column({ type: 'int', default: 0 })
  attempts!: number;
}
