import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Reflector } from '@nestjs/core';
import { ACCESS_KEY, type AccessRule } from '../common/decorators/access.decorator.js';
import { IS_PUBLIC_KEY } from '../common/decorators/public.decorator.js';
import type { AppConfig } from '../config/app-config.js';
import type { AppRequest, Principal } from '../common/principal.js';
import { AuthErrors } from './auth.errors.js';
import { ServiceTokens } from './service-tokens.js';
import { type Session, SessionStore } from './session.store.js';

/**
 * Global guard: every route needs `Authorization: <token>` or `Bearer <token>` unless @Public().
 * A session token is one store read (the session carries the user); a SERVICE_TOKENS token makes a
 * service principal. A route's @UserOnly()/@ServiceOnly() then decides whether that kind of principal may call it.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly serviceTokens: ServiceTokens;
  /** A route's declarations never change once the app runs: read its metadata once, not on every request. */
  private readonly routes = new WeakMap<object, { controller: object; isPublic: boolean; rule: AccessRule | undefined }>();

  constructor(
    private readonly reflector: Reflector,
    private readonly sessions: SessionStore,
    config: ConfigService<AppConfig, true>,
  ) {
    this.serviceTokens = new ServiceTokens(config.get('auth', { infer: true }).serviceTokens);
  }

  /**
   * Not an async function: a public route is answered without a promise, a token with one. On Node 20
   * every promise also runs the request context's async hooks.
   */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const { isPublic, rule } = this.route(context);
    if (isPublic) return true;
    const request = context.switchToHttp().getRequest<AppRequest>();
    const token = extractToken(request.headers.authorization);
    if (!token) throw AuthErrors.AUTH_TOKEN_MISSING();
    return this.sessions.find(token).then((session) => {
      request.principal = session ? userPrincipal(session) : this.servicePrincipal(token);
      return mayCall(rule, request.principal);
    });
  }

  private servicePrincipal(token: string): Principal {
    const service = this.serviceTokens.match(token);
    if (!service) throw AuthErrors.AUTH_TOKEN_INVALID();
    return { kind: 'service', name: service };
  }

  private route(context: ExecutionContext): { isPublic: boolean; rule: AccessRule | undefined } {
    const handler = context.getHandler();
    const controller = context.getClass();
    let route = this.routes.get(handler);
    if (route?.controller !== controller) {
      const targets = [handler, controller];
      route = {
        controller,
        isPublic: this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, targets) === true,
        rule: this.reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_KEY, targets),
      };
      this.routes.set(handler, route);
    }
    return route;
  }
}

function userPrincipal(session: Session): Principal {
  const { user } = session;
  return { kind: 'user', userId: user.id, openid: user.openid, user, sessionId: session.sessionId, expiresAt: session.expiresAt };
}

/** The route's @UserOnly()/@ServiceOnly(), if any, against the kind of principal. */
function mayCall(rule: AccessRule | undefined, principal: Principal): true {
  if (rule && rule.allow !== principal.kind) {
    const refusal = rule.allow === 'user' ? AuthErrors.USER_SESSION_REQUIRED : AuthErrors.SERVICE_TOKEN_REQUIRED;
    throw refusal({ message: rule.message });
  }
  return true;
}

export function extractToken(header: string | string[] | undefined): string | null {
  if (typeof header !== 'string') return null;
  const value = header.trim();
  const token = /^bearer\s+/i.test(value) ? value.replace(/^bearer\s+/i, '') : value;
  return token.length > 0 && token.length <= 512 && !/\s/.test(token) ? token : null;
}
