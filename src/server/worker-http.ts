/**
 * A worker process with its HTTP side: `/healthz`, `/readyz` (Redis reachable, not draining) and
 * `/metrics` on CHATOPS_WORKER_PORT, served by the same fastify server as the front's
 * (http-server.ts), so Kubernetes probes and Prometheus scrape workers like fronts. The engine's
 * events this worker makes happen (steps, retries, run ends) are counted on its registry; without
 * a port they are relayed to a process that is scraped (src/engine/observer-relay.ts). Given a
 * ProjectHolder, the worker's project reloads live (src/reload/) and its heartbeat and /readyz
 * carry the project version in force.
 */
import { Gauge } from 'prom-client';
import { startWorker, type WorkerHandle, type WorkerOptions } from '../engine/index.js';
import type { LiveReload } from '../reload/live-reload.js';
import { startProcessReload, type ReloadSettings } from '../reload/process-reload.js';
import type { ProjectHolder } from '../reload/project-holder.js';
import { projectViews } from '../reload/project-views.js';
import { redisCheck } from './health-routes.js';
import { createHttpServer, type HttpServer } from './http-server.js';
import { createEngineMetrics } from './engine-metrics.js';
import { createMetrics, registerRedisReady, type ServerMetrics } from './metrics.js';

export interface ServedWorker {
  worker: WorkerHandle;
  metrics: ServerMetrics;
  /** Set when a port was given. */
  http?: { server: HttpServer; port: number };
  /** Set when given a holder: the project reloads live. */
  reload?: LiveReload;
  /** Stops the HTTP server (readyz 503 first), then the worker. Idempotent. */
  close(): Promise<void>;
}

export interface ServedWorkerOptions extends WorkerOptions {
  port?: number;
  host?: string;
  defaultMetrics?: boolean;
  /** The project, reloading live (it replaces `project`). */
  holder?: ProjectHolder;
  reload?: ReloadSettings;
}

export async function startServedWorker(opts: ServedWorkerOptions): Promise<ServedWorker> {
  const metrics = createMetrics({ defaultMetrics: opts.defaultMetrics });
  const holder = opts.holder;
  const views = holder ? projectViews(holder) : undefined;
  const live = views ? { project: views.engine, projectVersion: () => views.source.version } : {};
  // Scraped: its events, and those relayed by processes nobody scrapes, count here. Not scraped
  // (no port): its events are relayed to a process that is.
  const scraped = opts.port !== undefined;
  const worker: WorkerHandle = await startWorker({
    ...opts,
    ...live,
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
  let reload: LiveReload | undefined;
  try {
    if (views) reload = await startProcessReload({ views, redisUrl: opts.redisUrl, prefix: opts.prefix, log: opts.log.child({ worker: worker.id }), name: `worker ${worker.id}`, registry: metrics.registry, settings: opts.reload });
  } catch (err) {
    await worker.close();
    throw err;
  }
  holder?.onChange(() => void worker.announce().catch(() => undefined));
  let http: ServedWorker['http'];
  if (opts.port !== undefined) {
    const readyInfo = views ? () => ({ project: views.source.version }) : undefined;
    const server = createHttpServer({ log: opts.log.child({ worker: worker.id }), readiness: [redisCheck(worker.engine.redis)], metrics, readyInfo });
    try {
      http = { server, port: await server.listen(opts.port, opts.host) };
    } catch (err) {
      await reload?.close();
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
    ...(reload ? { reload } : {}),
    close() {
      closing ??= (async () => {
        await reload?.close();
        await http?.server.close();
        await worker.close();
      })();
      return closing;
    },
  };
}
