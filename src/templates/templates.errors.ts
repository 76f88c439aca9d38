import { defineErrors } from '../common/errors/error-catalogue.js';

export const TemplatesErrors = defineErrors('templates', {
  INVALID_IDEMPOTENCY_KEY: { status: 400, message: 'Idempotency-Key must be 1-255 characters' },
  AMBIGUOUS_RECIPIENT: { status: 400, message: 'Name the recipient by openid or by userId, not both' },
  RECIPIENT_REQUIRED: { status: 400, message: 'A service must name the recipient (openid or userId)' },
  RECIPIENT_FORBIDDEN: { status: 403, message: 'A user may only send messages to itself' },
  IDEMPOTENCY_KEY_IN_FLIGHT: { status: 409, message: 'A request with this Idempotency-Key is still in progress' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, message: 'This Idempotency-Key was used with a different request' },
  WECHAT_NOT_SUBSCRIBED: { status: 409, message: 'The user has no subscription left for this template' },
  WECHAT_INVALID_ARGUMENT: { status: 422, message: 'WeChat rejected the message' },
});
