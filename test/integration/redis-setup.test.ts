import { testRedis, uniquePrefix } from '../helpers/redis.js';

describe('test Redis', () => {
  it('is a private server the tests may write to', async () => {
    const redis = testRedis();
    const key = `${uniquePrefix()}:probe`;
    await redis.set(key, 'x', 'EX', 10);
    expect(await redis.get(key)).toBe('x');
    if (process.env.CHATOPS_TEST_REDIS_PID) expect(process.env.REDIS_URL).not.toBe('redis://127.0.0.1:6379');
    await redis.quit();
  });
});
