// What bench/run.mjs and bench/batch.mjs both need to start the app as production runs it.

import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The node flags of package.json's start:prod (the heap caps production runs with), as a string. */
export function productionNodeArgs() {
  const script = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts?.['start:prod'] ?? '';
  const match = /^node\s+(.*?)\s*dist\/main\.js/.exec(script);
  return match ? match[1] : '';
}

/** A loopback port the OS says is free. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
