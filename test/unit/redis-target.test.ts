/** Issue 14: REDIS_URL (TLS, ACL user) and REDIS_SENTINELS/REDIS_SENTINEL_NAME become ioredis options; logs never show a password. */
import { redisAddress, redisOptionsFor, sentinelTarget } from '../../src/lib/redis-target.js';

describe('Redis targets', () => {
  it('takes the ACL user, password and db from REDIS_URL, and TLS from rediss:', () => {
    expect(redisOptionsFor('redis://bot:p%40ss@10.0.0.5:6380/2')).toMatchObject({ host: '10.0.0.5', port: 6380, username: 'bot', password: 'p@ss', db: 2 });
    expect(redisOptionsFor('rediss://redis.example.com')).toMatchObject({ host: 'redis.example.com', port: 6379, tls: { servername: 'redis.example.com' } });
    expect(redisOptionsFor('redis://127.0.0.1:6379').tls).toBeUndefined();
  });

  it('builds a sentinel target from REDIS_SENTINELS and REDIS_SENTINEL_NAME, with the master auth of REDIS_URL', () => {
    const target = sentinelTarget({ REDIS_SENTINELS: '10.0.0.1:26379, 10.0.0.2:26379', REDIS_SENTINEL_NAME: 'main', REDIS_URL: 'rediss://bot:pw@ignored:1/3' }) ?? '';
    expect(redisOptionsFor(target)).toMatchObject({
      sentinels: [
        { host: '10.0.0.1', port: 26379 },
        { host: '10.0.0.2', port: 26379 },
      ],
      name: 'main',
      username: 'bot',
      password: 'pw',
      db: 3,
      failoverDetector: true,
      enableTLSForSentinelMode: true,
    });
    expect(redisAddress(target)).toBe('sentinel 10.0.0.1:26379,10.0.0.2:26379 master main');
    expect(sentinelTarget({ REDIS_URL: 'redis://x' })).toBeUndefined();
  });

  it('refuses sentinels without a master name or with a malformed address', () => {
    expect(() => sentinelTarget({ REDIS_SENTINELS: '10.0.0.1:26379' })).toThrow(/REDIS_SENTINEL_NAME is not/);
    expect(() => sentinelTarget({ REDIS_SENTINELS: '10.0.0.1', REDIS_SENTINEL_NAME: 'm' })).toThrow(/"10.0.0.1" is not host:port/);
  });

  it('never shows a password in the address it logs', () => {
    expect(redisAddress('redis://bot:secret@h:1/0')).toBe('redis://h:1/0');
  });
});
