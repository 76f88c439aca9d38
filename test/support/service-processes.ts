import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(100);
  }
  throw new Error(`${what} did not come up within ${timeoutMs} ms`);
}

function stop(child: ChildProcess | null): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** A redis-server of the test's own, on its own port, that the test can stop and start again (a real outage). */
export class OwnRedis {
  private child: ChildProcess | null = null;
  private constructor(readonly port: number) {}

  static async start(): Promise<OwnRedis> {
    const redis = new OwnRedis(await freePort());
    await redis.resume();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}/0`;
  }

  async resume(): Promise<void> {
    this.child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    await waitFor(async () => (await run('redis-cli', ['-p', String(this.port), 'ping'])).stdout.trim() === 'PONG', 'redis-server');
  }

  async kill(): Promise<void> {
    await stop(this.child);
    this.child = null;
  }

  /** SIGSTOP: the server keeps its connections open and answers nothing (a stalled Redis). */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  /** SIGCONT after pause(). */
  unpause(): void {
    this.child?.kill('SIGCONT');
  }
}

/** A second mariadbd with its own datadir and port, so a test can take the database down for real. */
export class OwnMariadb {
  private child: ChildProcess | null = null;
  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(): Promise<OwnMariadb> {
    const dir = await mkdtemp(join(tmpdir(), 'wechat-mariadb-'));
    // Its own temporary directory too: two servers bootstrapping at once in the shared /tmp (the CI
    // passes run side by side) collided on MariaDB's temporary table file names.
    await mkdir(join(dir, 'tmp'));
    await run('mariadb-install-db', [
      '--no-defaults',
      `--datadir=${join(dir, 'data')}`,
      `--tmpdir=${join(dir, 'tmp')}`,
      '--user=root',
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
    ]);
    const db = new OwnMariadb(await freePort(), dir);
    await db.resume();
    await run('mysql', ['--protocol=TCP', '-h127.0.0.1', `-P${db.port}`, '-uroot', '-e', 'CREATE DATABASE app CHARACTER SET utf8mb4']);
    return db;
  }

  get url(): string {
    return `mysql://root@127.0.0.1:${this.port}/app`;
  }

  async resume(): Promise<void> {
    this.child = spawn(
      'mariadbd',
      [
        '--no-defaults',
        `--datadir=${join(this.dir, 'data')}`,
        `--tmpdir=${join(this.dir, 'tmp')}`,
        `--port=${this.port}`,
        `--socket=${join(this.dir, 'mysqld.sock')}`,
        '--bind-address=127.0.0.1',
        '--user=root',
        '--skip-log-bin',
        '--innodb-buffer-pool-size=16M',
      ],
      { stdio: 'ignore' },
    );
    await waitFor(async () => {
      await run('mysqladmin', ['--protocol=TCP', '-h127.0.0.1', `-P${this.port}`, '-uroot', 'ping']);
      return true;
    }, 'mariadbd');
  }

  async kill(): Promise<void> {
    await stop(this.child);
    this.child = null;
  }

  /** SIGSTOP: the server keeps its connections open and answers nothing (a stalled database). */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  /** SIGCONT after pause(). */
  unpause(): void {
    this.child?.kill('SIGCONT');
  }

  async destroy(): Promise<void> {
    this.unpause();
    await this.kill();
    await rm(this.dir, { recursive: true, force: true });
  }
}

export { waitFor };
