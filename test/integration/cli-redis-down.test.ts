/**
 * One-shot commands typed while Redis is away (nothing listens, or it refuses our password): each
 * gives up within CHATOPS_REDIS_TIMEOUT with one line naming the address, without its password,
 * and the error code (or Redis's refusal), and exits 1, instead of waiting for Redis forever as `serve` and `worker` do.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort, startPrivateRedis, type PrivateRedis } from '../../src/lib/private-redis.ts';
import { runChatops } from '../helpers/cli-child.ts';

const ENV = { CHATOPS_DIR: 'test/fixtures/engine-cli', CHATOPS_USER: 'alice', LOG_LEVEL: 'info', CHATOPS_REDIS_TIMEOUT: '2s' };

/** Every subcommand that needs Redis and runs once (not serve, worker or shell). */
const ONE_SHOT = [
  ['workers'],
  ['reload'],
  ['run', 'greet'],
  ['status', 'r-nosuch'],
  ['cancel', 'r-nosuch'],
  ['approve', 'r-nosuch'],
  ['deny', 'r-nosuch'],
  ['transcript', 'r-nosuch'],
  ['incidents'],
  ['incident', 'i-nosuch'],
  ['postmortem', 'i-nosuch'],
  ['audit'],
];

describe('one-shot commands with nothing listening at REDIS_URL', () => {
  let port: number;
  beforeAll(async () => {
    port = await freePort();
  });

  it.each(ONE_SHOT)('chatops %s … gives up with one line and exit 1', async (...args: string[]) => {
    const r = await runChatops(args, { ...ENV, REDIS_URL: `redis://ops:s3cret@127.0.0.1:${port}/2` });
    expect(r.stderr).toBe(`chatops ${args[0]}: Redis unreachable at redis://127.0.0.1:${port}/2 (ECONNREFUSED); gave up after 2.0s (CHATOPS_REDIS_TIMEOUT)\n`);
    expect(r.stdout).toBe('');
    expect(r.code).toBe(1);
  }, 60_000);

  it('gives up at the default timeout when CHATOPS_REDIS_TIMEOUT is unset', async () => {
    const { CHATOPS_REDIS_TIMEOUT: _set, ...unset } = ENV;
    const r = await runChatops(['status', 'r-nosuch'], { ...unset, REDIS_URL: `redis://127.0.0.1:${port}` });
    expect(r.stderr).toBe(`chatops status: Redis unreachable at redis://127.0.0.1:${port} (ECONNREFUSED); gave up after 5.0s (CHATOPS_REDIS_TIMEOUT)\n`);
    expect(r.code).toBe(1);
  }, 60_000);
});

describe('one-shot commands against a Redis that refuses the password', () => {
  let server: PrivateRedis;
  beforeAll(async () => {
    server = await startPrivateRedis({ args: ['--requirepass', 'right'] });
  });
  afterAll(async () => {
    await server.stop();
  });

  it('a wrong password: WRONGPASS, the password not printed', async () => {
    const r = await runChatops(['workers'], { ...ENV, REDIS_URL: server.url.replace('redis://', 'redis://:hunter2@') });
    expect(r.stderr).toMatch(/^chatops workers: Redis at redis:\/\/127\.0\.0\.1:\d+ refused us: WRONGPASS [^\n]*\n$/);
    expect(r.stderr).not.toContain('hunter2');
    expect(r.code).toBe(1);
  }, 60_000);

  it('no password: NOAUTH', async () => {
    const r = await runChatops(['audit'], { ...ENV, REDIS_URL: server.url });
    expect(r.stderr).toMatch(/^chatops audit: Redis at redis:\/\/127\.0\.0\.1:\d+ refused us: NOAUTH [^\n]*\n$/);
    expect(r.code).toBe(1);
  }, 60_000);
});
