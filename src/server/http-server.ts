/**
 * The one HTTP server of `chatops serve`: health, readiness and metrics, plus whatever routes the
 * fronts mount on it (Slack events, Discord interactions, alert webhooks) before `listen`.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from '../lib/logger.js';
import { registerHealthRoutes, type ReadinessCheck } from './health-routes.js';
import { createMetrics, type ServerMetrics } from './metrics.js';

/** JSON bodies of unsigned routes; signed routes set their own limit (see raw-body.ts). */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;

export interface HttpServerOptions {
  log: Logger;
  readiness?: ReadinessCheck[];
  /** Fields added to every /readyz answer (the project version). */
  readyInfo?: () => Record<string, unknown>;
  bodyLimit?: number;
  metrics?: ServerMetrics;
}

export interface HttpServer {
  /** Mount routes here before `listen`. */
  readonly app: FastifyInstance;
  readonly metrics: ServerMetrics;
  /** Adds a readiness check /readyz runs (a front part started after the server was made). */
  addReadiness(check: ReadinessCheck): void;
  /** Starts listening; resolves with the bound port (useful with port 0). */
  listen(port: number, host?: string): Promise<number>;
  /** Marks the server as draining (readyz 503), then closes it; idempotent. */
  close(): Promise<void>;
}

export function createHttpServer(opts: HttpServerOptions): HttpServer {
  const metrics = opts.metrics ?? createMetrics();
  const app = Fastify({
    // pino's Logger is what Fastify expects; the cast only widens its generic parameters.
    loggerInstance: opts.log.child({ component: 'http' }) as FastifyBaseLogger,
    // No log line per request: routes log what matters; /metrics counts requests.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: opts.bodyLimit ?? DEFAULT_BODY_LIMIT,
    // Close keep-alive connections that are idle so shutdown does not wait for clients.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
  });
  let draining = false;
  let closing: Promise<void> | undefined;

  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    metrics.httpRequests.inc({ method: req.method, route, status: String(reply.statusCode) });
    metrics.httpDuration.observe({ method: req.method, route }, reply.elapsedTime / 1000);
  });
  const readiness = [...(opts.readiness ?? [])];
  registerHealthRoutes(app, readiness, () => draining, opts.readyInfo);
  app.get('/metrics', async (_req, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });

  return {
    app,
    metrics,
    addReadiness(check) {
      readiness.push(check);
    },
    async listen(port, host = '0.0.0.0') {
      await app.listen({ port, host });
      const address = app.server.address();
      return typeof address === 'object' && address !== null ? address.port : port;
    },
    close() {
      draining = true;
      closing ??= app.close();
      return closing;
    },
  };
}
