import { DataSource } from 'typeorm';
import { loadDatabaseConfig } from './src/config/environment.js';
import { buildDataSourceOptions } from './src/database/data-source-options.js';

/** DataSource for the TypeORM migration CLI (`npm run migration:run`); reads DATABASE_URL (and `.env`) like the app. */
export default new DataSource(buildDataSourceOptions(loadDatabaseConfig()));
