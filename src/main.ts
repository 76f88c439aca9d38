import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { closeOnSignals, createApp } from './bootstrap.js';
import { ConfigValidationError, validateEnvironment } from './config/env.validation.js';

if (existsSync('.env')) process.loadEnvFile('.env');

try {
  const config = validateEnvironment(process.env);
  const app = await createApp(config);
  closeOnSignals(app);
  await app.listen(config.http.port, '0.0.0.0');
} catch (error) {
  // One clear line for a bad environment; anything else is a crash worth its stack.
  console.error(error instanceof ConfigValidationError ? error.message : error);
  process.exit(1);
}
