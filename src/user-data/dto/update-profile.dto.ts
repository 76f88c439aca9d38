import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { registerDecorator, type ValidationArguments } from 'class-validator';
import { AVATAR_URL_MAX_LENGTH, avatarUrlProblem, NICKNAME_MAX_CODE_POINTS, nicknameProblem } from './text.rules.js';

const FIELDS = ['nickname', 'avatarUrl'] as const;

/** Runs on a field whether or not it is present (absent is fine when another field is there). */
function ProfileField(problem: (value: unknown) => string | null) {
  return (target: object, propertyName: string) => {
    registerDecorator({
      name: 'profileField',
      target: target.constructor,
      propertyName,
      validator: {
        validate(value: unknown, args: ValidationArguments) {
          if (value === undefined) return FIELDS.some((field) => (args.object as Record<string, unknown>)[field] !== undefined);
          return problem(value) === null;
        },
        defaultMessage(args: ValidationArguments) {
          return args.value === undefined ? 'nickname or avatarUrl is required' : (problem(args.value) ?? 'is invalid');
        },
      },
    });
  };
}

/** A nickname without control characters is trimmed; one with them is left as sent, for the validator to refuse. */
const trimNickname = ({ value }: { value: unknown }) =>
  typeof value === 'string' && nicknameProblem(value) === null ? value.trim() : value;

export class UpdateProfileDto {
  @ApiPropertyOptional({ description: `1–${NICKNAME_MAX_CODE_POINTS} characters (code points) after trimming, no control characters` })
  @Transform(trimNickname)
  @ProfileField(nicknameProblem)
  nickname?: string;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: AVATAR_URL_MAX_LENGTH,
    description: 'An https:// URL, or null to clear it',
  })
  @ProfileField(avatarUrlProblem)
  avatarUrl?: string | null;
}
