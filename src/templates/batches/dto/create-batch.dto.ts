import { ApiProperty } from '@nestjs/swagger';
import { registerDecorator, type ValidationArguments } from 'class-validator';
import { describeKeywordDataProblem, IsKeywordData } from '../../dto/keyword-data.validator.js';
import { TemplateMessageFields } from '../../dto/template-message.fields.js';

export const MAX_RECIPIENTS = 10_000;
const OPENID = /^[A-Za-z0-9_-]{1,64}$/;

export interface BatchRecipientInput {
  openid: string;
  data?: Record<string, { value: string }>;
}

export class CreateBatchDto extends TemplateMessageFields {
  @ApiProperty({
    example: { thing1: { value: 'Order shipped' } },
    description: "Shared keyword values; a recipient's own `data` keys override them",
  })
  @IsKeywordData()
  data!: Record<string, { value: string }>;

  @ApiProperty({
    description: `1 to ${MAX_RECIPIENTS} recipients, no openid twice`,
    example: [{ openid: 'o1' }, { openid: 'o2', data: { thing1: { value: 'Yours' } } }],
  })
  @AreBatchRecipients()
  recipients!: BatchRecipientInput[];
}

export class BatchAcceptedDto {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: ['queued'] }) status!: 'queued';
  @ApiProperty() total!: number;
}

export class BatchDto {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: ['queued', 'running', 'done', 'canceled'] }) status!: string;
  @ApiProperty() total!: number;
  @ApiProperty() sent!: number;
  @ApiProperty() failed!: number;
  @ApiProperty({ description: 'May have reached WeChat, outcome lost with its instance: never sent again' }) unknown!: number;
  @ApiProperty({ description: 'Not sent (yet); after a cancel, never' }) pending!: number;
  @ApiProperty() createdAt!: string;
  @ApiProperty({ nullable: true, type: String }) finishedAt!: string | null;
}

/**
 * The recipients array, checked in one pass (10,000 nested class instances would cost more than
 * the check): shape, count, duplicates, and each recipient's merged data against WeChat's rules.
 */
export function describeRecipientsProblem(recipients: unknown, sharedData: unknown): string | null {
  if (!Array.isArray(recipients)) return 'recipients must be an array';
  if (recipients.length === 0) return 'recipients must have at least one recipient';
  if (recipients.length > MAX_RECIPIENTS) return `recipients must have at most ${MAX_RECIPIENTS} recipients`;
  const seen = new Set<string>();
  const sharedOk = typeof sharedData === 'object' && sharedData !== null && !Array.isArray(sharedData);
  for (let i = 0; i < recipients.length; i += 1) {
    const recipient: unknown = recipients[i];
    if (typeof recipient !== 'object' || recipient === null || Array.isArray(recipient))
      return `recipients[${i}] must be {"openid", "data"?}`;
    const extra = Object.keys(recipient).find((key) => key !== 'openid' && key !== 'data');
    if (extra !== undefined) return `recipients[${i}] has unknown field "${extra}"`;
    const { openid, data } = recipient as { openid?: unknown; data?: unknown };
    if (typeof openid !== 'string' || !OPENID.test(openid)) return `recipients[${i}].openid must be 1-64 letters, digits, _ or -`;
    if (seen.has(openid)) return `recipients[${i}].openid ${openid} appears twice`;
    seen.add(openid);
    if (data !== undefined) {
      if (typeof data !== 'object' || data === null || Array.isArray(data))
        return `recipients[${i}].data must be an object of {"<key>": {"value": string}}`;
      if (!sharedOk) continue; // the shared data's own problem is reported on `data`
      const problem = describeKeywordDataProblem({ ...sharedData, ...data }, false);
      if (problem) return `recipients[${i}].${problem}`;
    }
  }
  return null;
}

function AreBatchRecipients(): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'areBatchRecipients',
      target: target.constructor,
      propertyName: String(propertyName),
      validator: {
        validate: (value: unknown, args: ValidationArguments) =>
          describeRecipientsProblem(value, (args.object as CreateBatchDto).data) === null,
        defaultMessage: (args: ValidationArguments) =>
          describeRecipientsProblem(args.value, (args.object as CreateBatchDto).data) ?? 'recipients are invalid',
      },
    });
}
