/**
 * Jest global setup: the CLI bundle rebuilt from the current sources (tests that spawn `chatops` run
 * bin/chatops.js, as a user does, and must not run a stale dist/cli); one private redis-server per
 * test run when the binary is on PATH (tests then never touch a user's Redis); otherwise REDIS_URL
 * must point at a Redis the tests may write to. Each test still uses its own key prefix (see
 * test/helpers/redis.ts).
 */
import { execFileSync } from 'node:child_process';
// Imported by .ts path: jest loads global setup outside its module mapper.
import { hasRedisServer, startPrivateRedis } from '../../src/lib/private-redis.ts';

export default async function globalSetup(): Promise<void> {
  execFileSync(process.execPath, ['scripts/bundle-cli.mjs'], { env: { ...process.env, NODE_OPTIONS: '' }, stdio: 'inherit' });
  if (await hasRedisServer()) {
    const redis = await startPrivateRedis();
    process.env.REDIS_URL = redis.url;
    process.env.CHATOPS_TEST_REDIS_PID = String(redis.pid);
    (globalThis as { __privateRedis?: { stop(): Promise<void> } }).__privateRedis = redis;
  } else if (!process.env.REDIS_URL) {
    throw new Error('Tests need Redis: put redis-server on PATH (preferred) or set REDIS_URL.');
  }
}
