import type { User } from '../users/user.entity.js';

/**
 * The user as every session of it carries it (so a guarded request needs no database read), and as
 * the API shows it. A field added here and in snapshotOf travels into every session of the user by
 * SessionStore.refreshUser.
 */
export interface UserSnapshot {
  id: number;
  openid: string;
  unionid: string | null;
  nickname: string | null;
  avatarUrl: string | null;
  /** WeChat's phoneNumber (with the area code outside China). Personal data: never logged. */
  phoneNumber: string | null;
  countryCode: string | null;
  /** ISO 8601. */
  createdAt: string;
  updatedAt: string;
}

export function snapshotOf(user: User): UserSnapshot {
  return {
    id: user.id,
    openid: user.openId,
    unionid: user.unionId,
    nickname: user.nickname ?? null,
    avatarUrl: user.avatarUrl ?? null,
    phoneNumber: user.phoneNumber ?? null,
    countryCode: user.countryCode ?? null,
    createdAt: new Date(user.createdAt).toISOString(),
    updatedAt: new Date(user.updatedAt).toISOString(),
  };
}
