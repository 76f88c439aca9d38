import { DomainError } from '../common/errors/domain.error.js';

export class AuthError extends DomainError {
  static missingToken(): AuthError {
    return new AuthError('AUTH_TOKEN_MISSING', 'Authorization header with a session token is required', 401);
  }

  static invalidToken(): AuthError {
    return new AuthError('AUTH_TOKEN_INVALID', 'The session token is unknown or expired', 401);
  }
}
