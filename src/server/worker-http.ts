/**
 * A worker process with its HTTP side: `/healthz`, `/readyz` (Redis reachable, not draining) and
 * `/metrics` on CHATOPS_WORKER_PORT, served by the same fastify server as the front's
 * (http-server.ts), so Kubernetes probes and Prometheus scrape workers like fronts. The engine's
 * events this worker makes happen (steps, retries, run ends) are counted on its registry; without
 * a port they are relayed to a process that is scraped (src/engine/observer-relay.ts).
 */
import { Gauge } from 'prom-client';
import { startWorker, type WorkerHandle, type WorkerOptions } from '../engine/index.js';
import { redisCheck } from './health-routes.js';
import { createHttpServer, type HttpServer } from './http-server.js';
import { createEngineMetrics } from './engine-metrics.js';
import { createMetrics, registerRedisReady, type ServerMetrics } from './metrics.js';

export interface ServedWorker {
  worker: WorkerHandle;
  metrics: ServerMetrics;
  /** Set when a port was given. */
  http?: { server: HttpServer; port: number };
  /** Stops the HTTP server (readyz 503 first), then the worker. Idempotent. */
  close(): Promise<void>;
}

export async function startServedWorker(opts: WorkerOptions & { port?: number; host?: string; defaultMetrics?: boolean }): Promise<ServedWorker> {
  const metrics = createMetrics({ defaultMetrics: opts.defaultMetrics });
  // Scraped: its events, and those relayed by processes nobody scrapes, count here. Not scraped
  // (no port): its events are relayed to a process that is.
  const scraped = opts.port !== undefined;
  const worker: WorkerHandle = await startWorker({
    ...opts,
    observer: opts.observer ?? (scraped ? createEngineMetrics(metrics.registry, { relayed: () => worker.engine.relay }) : undefined),
    relayEvents: !scraped,
  });
  const registers = [metrics.registry];
  new Gauge({
    name: 'chatops_worker_steps_running',
    help: 'Steps this worker process is running now.',
    registers,
    collect() {
      this.set(worker.activeSteps());
    },
  });
  new Gauge({ name: 'chatops_worker_concurrency', help: 'Steps this worker process may run at once (its concurrency per pool times the pools it serves).', registers }).set(Math.max(1, opts.concurrency) * worker.pools.length);
  registerRedisReady(metrics.registry, worker.engine.redis);
  let http: ServedWorker['http'];
  if (opts.port !== undefined) {
    const server = createHttpServer({ log: opts.log.child({ worker: worker.id }), readiness: [redisCheck(worker.engine.redis)], metrics });
    try {
      http = { server, port: await server.listen(opts.port, opts.host) };
    } catch (err) {
      await worker.close();
      throw err;
    }
    opts.log.info({ port: http.port, worker: worker.id }, 'worker health and metrics listening');
  }
  let closing: Promise<void> | undefined;
  return {
    worker,
    metrics,
    http,
    close() {
      closing ??= (async () => {
        await http?.server.close();
        await worker.close();
      })();
      return closing;
    },
  };
}
