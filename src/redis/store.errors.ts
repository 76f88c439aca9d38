import { defineErrors } from '../common/errors/error-catalogue.js';

export const StoreErrors = defineErrors('store', {
  STORE_UNAVAILABLE: { status: 503, message: 'The shared store is unavailable' },
});
