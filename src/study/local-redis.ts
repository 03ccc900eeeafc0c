/**
 * A private Redis for one process's lifetime: Debian's `redis-server` on a free loopback port,
 * its files in a temporary folder, nothing saved to disk. The queue test and `editlab bench
 * --study` use it to run the BullMQ mode on one machine.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { connectRedis } from './queue';

/** A running private Redis. */
export interface LocalRedis {
  /** `redis://127.0.0.1:PORT`. */
  url: string;
  /** Stops the server and removes its folder. */
  stop(): void;
}

/** Whether `redis-server` is on the PATH. */
export function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).status === 0;
}

/** A loopback port nothing listens on (now). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    }).on('error', reject);
  });
}

/**
 * Starts `redis-server` on a free loopback port and waits until it answers.
 * @throws when redis-server is not installed, naming the package that provides it
 */
export async function startLocalRedis(): Promise<LocalRedis> {
  if (!hasRedisServer()) throw new Error('editlab: redis-server is not on the PATH; install it with `sudo apt-get install redis-server` (see the README).');
  const port = await freeLoopbackPort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'editlab-redis-'));
  const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const stop = () => {
    if (server.exitCode === null) server.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const url = `redis://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt++) {
    try {
      (await connectRedis(url)).disconnect();
      return { url, stop };
    } catch (e) {
      if (attempt >= 50 || server.exitCode !== null) {
        stop();
        throw e;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
