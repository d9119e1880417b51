/** Starts test/helpers/engine-worker-child.ts as its own process on a harness's Redis and prefix; resolves once it takes jobs. */
import { spawn, type ChildProcess } from 'node:child_process';
import { TEST_SECRET_KEY } from './engine-harness.js';

/** `h`: a harness, or anything naming the Redis and prefix to serve (a front's). */
export function spawnWorker(h: { opts: { redisUrl: string; prefix: string } }, yamls: string[], env: Record<string, string> = {}): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', './test/helpers/engine-ts-loader.mjs', 'test/helpers/engine-worker-child.ts'], {
    env: { ...process.env, NODE_OPTIONS: '', REDIS_URL: h.opts.redisUrl, ENGINE_PREFIX: h.opts.prefix, ENGINE_WORKFLOWS: JSON.stringify(yamls), CHATOPS_SECRET_KEY: TEST_SECRET_KEY, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker child did not start: ${err}`)), 30_000);
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker child exited with ${code}: ${err}`));
    });
  });
}
