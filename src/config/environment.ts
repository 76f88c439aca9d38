import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import type { AppConfig } from './app-config.js';
import { validateDatabaseEnvironment, validateEnvironment } from './env.validation.js';

/** The process environment over the working directory's `.env` file: a variable set in the environment wins. */
export function readEnvironment(env: NodeJS.ProcessEnv = process.env, file = '.env'): Record<string, string | undefined> {
  return existsSync(file) ? { ...parseEnv(readFileSync(file, 'utf8')), ...env } : env;
}

/** The validated configuration, read the same way by the app, ormconfig.ts and the migrate script. */
export function loadConfig(): AppConfig {
  return validateEnvironment(readEnvironment());
}

/** For the migration tools, which touch only the database: no WeChat credentials needed. */
export function loadDatabaseConfig(): AppConfig['database'] {
  return validateDatabaseEnvironment(readEnvironment());
}
