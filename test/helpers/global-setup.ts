/**
 * Jest global setup: one private redis-server per test run when the binary is on PATH (tests then
 * never touch a user's Redis); otherwise REDIS_URL must point at a Redis the tests may write to.
 * Each test still uses its own key prefix (see test/helpers/redis.ts).
 */
// Imported by .ts path: jest loads global setup outside its module mapper.
import { hasRedisServer, startPrivateRedis } from '../../src/lib/private-redis.ts';

export default async function globalSetup(): Promise<void> {
  if (await hasRedisServer()) {
    const redis = await startPrivateRedis();
    process.env.REDIS_URL = redis.url;
    process.env.CHATOPS_TEST_REDIS_PID = String(redis.pid);
    (globalThis as { __privateRedis?: { stop(): Promise<void> } }).__privateRedis = redis;
  } else if (!process.env.REDIS_URL) {
    throw new Error('Tests need Redis: put redis-server on PATH (preferred) or set REDIS_URL.');
  }
}
