import { defineErrors } from '../../common/errors/error-catalogue.js';

export const BatchesErrors = defineErrors('batches', {
  BATCH_NOT_FOUND: { status: 404, message: 'No batch with this id' },
});
