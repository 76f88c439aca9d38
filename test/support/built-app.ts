import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
// TEST_BUILD_DIR: passes that run side by side in one checkout (.ci/run) each build into their own.
export const BUILT_DIR = process.env.TEST_BUILD_DIR ?? '.test-dist';

/**
 * Compiles the app once per test run (specs run in band, in one process) for the tests that start
 * it as its own process, the way `npm run start:prod` does.
 */
export async function buildOnce(): Promise<void> {
  const marker = join(BUILT_DIR, `.built-by-${process.pid}`);
  if (existsSync(marker)) return;
  await run('npx', ['tsc', '-p', 'tsconfig.build.json', '--outDir', BUILT_DIR], { timeout: 120_000 });
  writeFileSync(marker, '');
}
