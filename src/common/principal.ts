import type { UserSnapshot } from '../auth/user-snapshot.js';

/** A user's session: the user as the session carries it (no database read behind it). */
export interface UserPrincipal {
  kind: 'user';
  userId: number;
  openid: string;
  user: UserSnapshot;
  /** Identifies the session in the store, so logout can end it without keeping the token around. */
  sessionId: string;
  /** When the session expires (ms since the epoch). */
  expiresAt: number;
}

export interface ServicePrincipal {
  kind: 'service';
  name: string;
}

export type Principal = UserPrincipal | ServicePrincipal;

/** The slice of a request (Express or Fastify) the app reads; keeps adapter types out of the code. */
export interface AppRequest {
  headers: Record<string, string | string[] | undefined>;
  /** Client address (both adapters set it, honouring X-Forwarded-For behind a trusted proxy). */
  ip?: string;
  principal?: Principal;
}

/** The slice of a response (Express or Fastify) the app writes. */
export interface AppResponse {
  header(name: string, value: string): unknown;
}

export function principalLabel(principal: Principal): string {
  return principal.kind === 'user' ? `user:${principal.userId}` : `service:${principal.name}`;
}
