import { AsyncLocalStorage } from 'node:async_hooks';

export interface RequestContext {
  requestId: string;
}

/**
 * The request being served, for whatever code runs on its behalf (the logger's mixin puts its id on
 * every line). Entered by the request logger, the first thing each request meets on both adapters.
 */
export const requestContext = new AsyncLocalStorage<RequestContext>();
