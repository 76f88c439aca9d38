import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { ConfigValidationError } from '../config/env.validation.js';
import { loadDatabaseConfig } from '../config/environment.js';
import { buildDataSourceOptions } from './data-source-options.js';

/**
 * `node dist/database/migrate.js [run|revert]`: the migrations without the TypeORM CLI and tsx,
 * for the runtime image (npm ci --omit=dev). Reads DATABASE_URL (and `.env`) like the app.
 */
const action = process.argv[2] ?? 'run';
try {
  if (action !== 'run' && action !== 'revert') throw new ConfigValidationError(`Unknown action "${action}": use run or revert`);
  const database = loadDatabaseConfig();
  if (database.type !== 'mysql') {
    console.log('SQLite: the app creates its schema itself; nothing to migrate.');
    process.exit(0);
  }
  const dataSource = new DataSource(buildDataSourceOptions({ ...database, migrate: false }));
  await dataSource.initialize();
  try {
    if (action === 'run') {
      const applied = await dataSource.runMigrations();
      console.log(applied.length ? `Applied: ${applied.map((m) => m.name).join(', ')}` : 'No pending migrations.');
    } else {
      await dataSource.undoLastMigration();
      console.log('Reverted the last migration.');
    }
  } finally {
    await dataSource.destroy();
  }
} catch (error) {
  console.error(error instanceof ConfigValidationError ? error.message : error);
  process.exit(1);
}
