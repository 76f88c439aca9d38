import { DataSource } from 'typeorm';
import { validateEnvironment } from './src/config/env.validation.js';
import { buildDataSourceOptions } from './src/database/data-source-options.js';

/** DataSource for the TypeORM migration CLI (`npm run migration:run`); reads DATABASE_URL. */
export default new DataSource(buildDataSourceOptions(validateEnvironment(process.env).database));
