import { defineErrors } from './error-catalogue.js';

/**
 * What the framework raises (body parsing, validation, unknown routes), named by the exception
 * filter. The framework's own message is kept where it says more (e.g. which field failed).
 */
export const HttpErrors = defineErrors('http', {
  VALIDATION_FAILED: { status: 400, message: 'The body or query failed validation; the message names the field' },
  INVALID_JSON: { status: 400, message: 'Request body is not valid JSON' },
  BAD_REQUEST: { status: 400, message: 'Bad request' },
  UNAUTHORIZED: { status: 401, message: 'Unauthorized' },
  FORBIDDEN: { status: 403, message: 'Forbidden' },
  NOT_FOUND: { status: 404, message: 'No such route' },
  METHOD_NOT_ALLOWED: { status: 405, message: 'Method not allowed' },
  REQUEST_TIMEOUT: { status: 408, message: 'Request timeout' },
  CONFLICT: { status: 409, message: 'Conflict' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'Request body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Unsupported content type' },
  UNPROCESSABLE_ENTITY: { status: 422, message: 'Unprocessable entity' },
  TOO_MANY_REQUESTS: { status: 429, message: 'Too many requests' },
  HTTP_ERROR: { status: 400, statusText: '4xx', message: 'Any other refusal by the framework, with its own status' },
  INTERNAL_ERROR: { status: 500, message: 'Internal server error' },
  SERVICE_UNAVAILABLE: { status: 503, message: 'Service unavailable' },
});
