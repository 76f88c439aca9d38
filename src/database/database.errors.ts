import { defineErrors } from '../common/errors/error-catalogue.js';

export const DatabaseErrors = defineErrors('database', {
  DATABASE_UNAVAILABLE: { status: 503, message: 'The database is unavailable' },
});
