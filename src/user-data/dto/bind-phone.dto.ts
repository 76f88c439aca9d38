import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength, registerDecorator, ValidateIf, type ValidationArguments } from 'class-validator';

/** `code` alone, or `encryptedData` with `iv`: never both forms, never neither. */
function OneForm() {
  return (target: object, propertyName: string) => {
    registerDecorator({
      name: 'oneForm',
      target: target.constructor,
      propertyName,
      validator: {
        validate(_value: unknown, args: ValidationArguments) {
          const dto = args.object as BindPhoneDto;
          const byCode = dto.code !== undefined;
          const byData = dto.encryptedData !== undefined || dto.iv !== undefined;
          return byCode !== byData;
        },
        defaultMessage: () => 'send either code, or encryptedData with iv',
      },
    });
  };
}

export class BindPhoneDto {
  @ApiPropertyOptional({ description: 'The code from <button open-type="getPhoneNumber">', maxLength: 256 })
  @OneForm()
  @ValidateIf((dto: BindPhoneDto) => dto.code !== undefined)
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  code?: string;

  @ApiPropertyOptional({ description: 'Older clients: the getPhoneNumber encryptedData (base64), with iv' })
  @ValidateIf((dto: BindPhoneDto) => dto.code === undefined)
  @IsString()
  @IsNotEmpty()
  @MaxLength(32_768)
  encryptedData?: string;

  @ApiPropertyOptional({ description: 'Older clients: the iv that came with encryptedData (base64)' })
  @ValidateIf((dto: BindPhoneDto) => dto.code === undefined)
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  iv?: string;
}
