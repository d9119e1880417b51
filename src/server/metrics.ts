/**
 * Prometheus metrics of one `serve` process. One registry per server (not prom-client's global
 * one) so tests can start several servers in one process; fronts add their own metrics to it.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface ServerMetrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'method' | 'route'>;
}

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): ServerMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'chatops_' });
  const httpRequests = new Counter({
    name: 'chatops_http_requests_total',
    help: 'HTTP requests answered, by route pattern and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'chatops_http_request_duration_seconds',
    help: 'Time from request to response, by route pattern.',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  return { registry, httpRequests, httpDuration };
}

/** 1 while this process's Redis connection is ready, else 0 (read on scrape). */
export function registerRedisReady(registry: Registry, redis: { status: string }): void {
  new Gauge({
    name: 'chatops_redis_ready',
    help: "Whether this process's connection to Redis is ready (1) or not (0).",
    registers: [registry],
    collect() {
      this.set(redis.status === 'ready' ? 1 : 0);
    },
  });
}
