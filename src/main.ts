import 'reflect-metadata';
import { closeOnSignals, createApp } from './bootstrap.js';
import { ConfigValidationError } from './config/env.validation.js';
import { loadConfig } from './config/environment.js';

try {
  const config = loadConfig();
  const app = await createApp(config);
  closeOnSignals(app);
  await app.listen(config.http.port, '0.0.0.0');
} catch (error) {
  // One clear line for a bad environment; anything else is a crash worth its stack.
  console.error(error instanceof ConfigValidationError ? error.message : error);
  process.exit(1);
}
