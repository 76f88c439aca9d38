import { SetMetadata } from '@nestjs/common';
import type { Principal } from '../principal.js';

export const ACCESS_KEY = 'access';

export interface AccessRule {
  allow: Principal['kind'];
  /** The 403 message for this route; the catalogue's wording when omitted. */
  message?: string;
}

/** Only a user session may call the route (or every route of the controller); a service token gets 403. */
export const UserOnly = (message?: string) => SetMetadata(ACCESS_KEY, { allow: 'user', message } satisfies AccessRule);

/** Only a SERVICE_TOKENS token may call the route (or every route of the controller); a user session gets 403. */
export const ServiceOnly = (message?: string) => SetMetadata(ACCESS_KEY, { allow: 'service', message } satisfies AccessRule);
