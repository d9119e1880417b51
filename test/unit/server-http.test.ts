import { Redis } from 'ioredis';
import { silentLogger } from '../../src/lib/logger.js';
import { createHttpServer, type HttpServer } from '../../src/server/http-server.js';
import { redisCheck } from '../../src/server/health-routes.js';
import { rawBodyOf, rawBodyScope } from '../../src/server/raw-body.js';
import { testRedisUrl } from '../helpers/redis.js';

describe('serve HTTP server', () => {
  let server: HttpServer;
  let base: string;
  let redis: Redis;

  beforeAll(async () => {
    redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: 1 });
    server = createHttpServer({ log: silentLogger, readiness: [redisCheck(redis)] });
    await rawBodyScope(server.app, 64, (scope) => {
      scope.post('/signed', async (req) => ({ bytes: rawBodyOf(req.body).toString('utf8') }));
    });
    const port = await server.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await server.close();
    redis.disconnect();
  });

  it('answers /healthz once listening', async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz 200 when Redis answers', async () => {
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready', checks: { redis: 'ok' } });
  });

  it('serves Prometheus metrics including request counts', async () => {
    await fetch(`${base}/healthz`);
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toMatch(/chatops_http_requests_total\{method="GET",route="\/healthz",status="200"\} \d+/);
    expect(text).toContain('chatops_process_cpu_user_seconds_total');
  });

  it('hands signed routes the exact raw bytes, whatever the content type', async () => {
    const body = '{"a":  1}';
    const res = await fetch(`${base}/signed`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(await res.json()).toEqual({ bytes: body });
    const form = await fetch(`${base}/signed`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1&b=%20' });
    expect(await form.json()).toEqual({ bytes: 'a=1&b=%20' });
  });

  it('refuses bodies over the limit with 413', async () => {
    const res = await fetch(`${base}/signed`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x'.repeat(65) });
    expect(res.status).toBe(413);
  });
});

describe('serve HTTP server readiness failures', () => {
  it('answers /readyz 503 naming the failed check while /healthz stays 200', async () => {
    const broken = { name: 'redis', check: () => Promise.reject(new Error('connect ECONNREFUSED')) };
    const server = createHttpServer({ log: silentLogger, readiness: [broken] });
    const port = await server.listen(0, '127.0.0.1');
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ status: 'not ready', checks: { redis: 'connect ECONNREFUSED' } });
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
    } finally {
      await server.close();
    }
    await expect(server.close()).resolves.toBeUndefined();
  });
});
