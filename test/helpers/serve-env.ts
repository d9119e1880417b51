/**
 * For tests that call `chatops serve` in-process: sets the environment it reads (saving and
 * restoring every variable named), and captures what it writes to stderr.
 */
import { jest } from '@jest/globals';
import { testRedisUrl, uniquePrefix } from './redis.js';

export class ServeEnv {
  private readonly saved: Record<string, string | undefined> = {};
  stderr = '';

  constructor(private readonly vars: string[]) {
    for (const v of vars) this.saved[v] = process.env[v];
  }

  /** A fresh environment: Redis, project folder, port 0, then `vars` (undefined ones stay unset). */
  set(dir: string, vars: Record<string, string | undefined>): void {
    const redisUrl = testRedisUrl();
    for (const v of this.vars) delete process.env[v];
    Object.assign(process.env, { REDIS_URL: redisUrl, CHATOPS_DIR: dir, CHATOPS_PREFIX: uniquePrefix('serve'), PORT: '0', LOG_LEVEL: 'info', CHATOPS_SECRET_KEY: 'serve-test-key' });
    for (const [k, v] of Object.entries(vars)) if (v !== undefined) process.env[k] = v;
    this.stderr = '';
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      this.stderr += chunk.toString();
      return true;
    });
  }

  /** The lines `serve` printed as its own (`chatops serve: …`). */
  serveLines(): string[] {
    return this.stderr.split('\n').filter((l) => l.startsWith('chatops serve:'));
  }

  restore(): void {
    for (const v of this.vars) {
      if (this.saved[v] === undefined) delete process.env[v];
      else process.env[v] = this.saved[v];
    }
    jest.restoreAllMocks();
    process.exitCode = undefined;
  }
}
