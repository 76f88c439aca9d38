import { defineErrors } from '../common/errors/error-catalogue.js';

export const UsersErrors = defineErrors('users', {
  USER_NOT_FOUND: { status: 404, message: 'No user with id {id}' },
  USER_NOT_FOUND_BY_OPENID: { status: 404, code: 'USER_NOT_FOUND', message: 'No user with that openid' },
  SESSION_USER_GONE: { status: 404, code: 'USER_NOT_FOUND', message: 'The user of this session no longer exists' },
});
