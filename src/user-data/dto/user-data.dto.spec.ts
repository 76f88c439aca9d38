import { BadRequestException, type Type } from '@nestjs/common';
import { describe, it, expect } from '@jest/globals';
import { createValidationPipe } from '../../common/common.module.js';
import { BindPhoneDto } from './bind-phone.dto.js';
import { EncryptedDataDto } from './encrypted-data.dto.js';
import { UpdateProfileDto } from './update-profile.dto.js';

const pipe = createValidationPipe();

async function validate<T>(metatype: Type<T>, body: unknown): Promise<{ ok: T } | { errors: string }> {
  try {
    return { ok: (await pipe.transform(body, { type: 'body', metatype })) as T };
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestException);
    const message = (error as BadRequestException).getResponse() as { message: string[] };
    return { errors: message.message.join('; ') };
  }
}

describe('UpdateProfileDto', () => {
  it.each([
    [{ nickname: 'Ann' }, { nickname: 'Ann' }],
    [{ nickname: '  Ann Lee  ' }, { nickname: 'Ann Lee' }],
    [{ nickname: '\u3000微信用户\u3000' }, { nickname: '微信用户' }],
    [{ nickname: '😀'.repeat(64) }, { nickname: '😀'.repeat(64) }],
    [{ nickname: ` ${'a'.repeat(64)} ` }, { nickname: 'a'.repeat(64) }],
    [{ nickname: 'e\u0301' }, { nickname: 'e\u0301' }],
    [{ avatarUrl: 'https://thirdwx.qlogo.cn/mmopen/vi_32/abc/132' }, { avatarUrl: 'https://thirdwx.qlogo.cn/mmopen/vi_32/abc/132' }],
    [{ avatarUrl: `https://e.com/${'a'.repeat(1024 - 14)}` }, { avatarUrl: `https://e.com/${'a'.repeat(1024 - 14)}` }],
    [{ avatarUrl: null }, { avatarUrl: null }],
    [
      { nickname: 'Bo', avatarUrl: null },
      { nickname: 'Bo', avatarUrl: null },
    ],
  ])('accepts %j', async (body, expected) => {
    const result = await validate(UpdateProfileDto, body);
    expect(result).toHaveProperty('ok');
    expect({ ...(result as { ok: object }).ok }).toEqual(expected);
  });

  it.each([
    ['no field at all', {}, 'nickname or avatarUrl is required'],
    ['a null nickname', { nickname: null }, 'nickname must be a string'],
    ['a numeric nickname', { nickname: 42 }, 'nickname must be a string'],
    ['an empty nickname', { nickname: '' }, 'nickname must be 1 to 64 characters after trimming'],
    ['a blank nickname', { nickname: ' \u3000 ' }, 'nickname must be 1 to 64 characters after trimming'],
    ['65 code points', { nickname: '😀'.repeat(65) }, 'nickname must be 1 to 64 characters after trimming'],
    ['a C0 control', { nickname: 'a\u0000b' }, 'nickname must not contain control characters'],
    ['a tab at the edge', { nickname: '\tAnn' }, 'nickname must not contain control characters'],
    ['a newline', { nickname: 'Ann\n' }, 'nickname must not contain control characters'],
    ['DEL', { nickname: 'a\u007fb' }, 'nickname must not contain control characters'],
    ['a C1 control', { nickname: 'a\u0085b' }, 'nickname must not contain control characters'],
    ['a lone surrogate', { nickname: 'a\ud800b' }, 'nickname must be valid Unicode text'],
    ['an http URL', { avatarUrl: 'http://e.com/a.png' }, 'avatarUrl must be an https:// URL or null'],
    ['no URL at all', { avatarUrl: 'avatar.png' }, 'avatarUrl must be an https:// URL or null'],
    ['a javascript: URL', { avatarUrl: 'javascript:alert(1)' }, 'avatarUrl must be an https:// URL or null'],
    ['an URL without host', { avatarUrl: 'https://' }, 'avatarUrl must be an https:// URL or null'],
    ['an URL with a space', { avatarUrl: 'https://e.com/a b.png' }, 'avatarUrl must be an https:// URL or null'],
    ['an URL over 1024 characters', { avatarUrl: `https://e.com/${'a'.repeat(1024 - 13)}` }, 'avatarUrl must be at most 1024 characters'],
    ['an empty avatarUrl', { avatarUrl: '' }, 'avatarUrl must be an https:// URL or null'],
    ['a numeric avatarUrl', { avatarUrl: 1 }, 'avatarUrl must be an https:// URL or null'],
    ['an unknown field', { nickname: 'Ann', gender: 1 }, 'property gender should not exist'],
    ['only an unknown field', { phoneNumber: '13800138000' }, 'property phoneNumber should not exist'],
  ])('refuses %s', async (_name, body, message) => {
    const result = await validate(UpdateProfileDto, body);
    expect(result).toHaveProperty('errors');
    expect((result as { errors: string }).errors).toContain(message);
  });
});

describe('BindPhoneDto', () => {
  it.each([[{ code: 'abc' }], [{ encryptedData: 'AAAA', iv: 'BBBB' }]])('accepts %j', async (body) => {
    expect(await validate(BindPhoneDto, body)).toEqual({ ok: expect.objectContaining(body) });
  });

  it.each([
    [{}],
    [{ code: '' }],
    [{ code: null }],
    [{ code: 5 }],
    [{ code: 'c'.repeat(257) }],
    [{ code: 'abc', encryptedData: 'AAAA', iv: 'BBBB' }],
    [{ code: 'abc', iv: 'BBBB' }],
    [{ encryptedData: 'AAAA' }],
    [{ iv: 'BBBB' }],
    [{ encryptedData: '', iv: 'BBBB' }],
    [{ encryptedData: 'AAAA', iv: 7 }],
    [{ code: 'abc', openid: 'oOther' }],
  ])('refuses %j', async (body) => {
    expect(await validate(BindPhoneDto, body)).toHaveProperty('errors');
  });
});

describe('EncryptedDataDto', () => {
  it('accepts encryptedData with iv, and refuses anything else', async () => {
    expect(await validate(EncryptedDataDto, { encryptedData: 'AAAA', iv: 'BBBB' })).toHaveProperty('ok');
    for (const body of [
      {},
      { encryptedData: 'AAAA' },
      { iv: 'BBBB' },
      { encryptedData: 'AAAA', iv: '' },
      { encryptedData: 'AAAA', iv: 'BBBB', extra: 1 },
    ]) {
      expect(await validate(EncryptedDataDto, body)).toHaveProperty('errors');
    }
  });
});
