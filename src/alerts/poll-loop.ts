/**
 * The loop the incident side's background workers share (incident reporter, run watcher): run a
 * pass, sleep until the next poll or a poke, stop on close; and the lease each holds so one
 * process at a time does the work (taken when free, renewed when ours, released on close).
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../lib/logger.js';

const RENEW = `local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if not v then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/** Takes the lease when free or renews it when `owner` holds it: true when `owner` holds it now. */
export async function holdLease(redis: Redis, key: string, owner: string, leaseMs: number): Promise<boolean> {
  return Number(await redis.eval(RENEW, 1, key, owner, String(leaseMs))) === 1;
}

export async function releaseLease(redis: Redis, key: string, owner: string): Promise<void> {
  await redis.eval(RELEASE, 1, key, owner).catch(() => undefined);
}

export class PollLoop {
  private closed = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly pass: () => Promise<void>,
    private readonly opts: { pollMs: number; log: Logger; what: string },
  ) {}

  get stopped(): boolean {
    return this.closed;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Run a pass now rather than at the next poll. */
  poke(): void {
    this.wake?.();
  }

  /** Stops after the pass under way. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    await this.loop?.catch(() => undefined);
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      try {
        await this.pass();
      } catch (err) {
        if (!this.closed) this.opts.log.warn({ err }, `${this.opts.what} pass failed; trying again`);
      }
      if (this.closed) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, this.opts.pollMs);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }
}
