/**
 * Liveness and readiness. `/healthz` answers 200 whenever the process serves HTTP at all (a
 * liveness probe must not fail because Redis blinked, or the orchestrator restarts a healthy pod).
 * `/readyz` runs the readiness checks (Redis reachable; the Discord Gateway connected, in that
 * mode) and answers 503 while any fails or while the server drains for shutdown, so load
 * balancers stop sending new work first.
 */
import type { FastifyInstance } from 'fastify';

export interface ReadinessCheck {
  name: string;
  /** Resolves when healthy; rejects (or times out) otherwise. */
  check(): Promise<void>;
}

const CHECK_TIMEOUT_MS = 2000;

async function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** `info` adds fields to every /readyz answer (the project version in force, src/reload/). */
export function registerHealthRoutes(server: FastifyInstance, checks: readonly ReadinessCheck[], isDraining: () => boolean, info: () => Record<string, unknown> = () => ({})): void {
  server.get('/healthz', async () => ({ status: 'ok' }));
  server.get('/readyz', async (_req, reply) => {
    if (isDraining()) return reply.code(503).send({ status: 'draining', ...info() });
    const results: Record<string, string> = {};
    let ready = true;
    await Promise.all(
      checks.map(async (c) => {
        try {
          await withTimeout(c.check(), CHECK_TIMEOUT_MS);
          results[c.name] = 'ok';
        } catch (err) {
          ready = false;
          results[c.name] = err instanceof Error ? err.message : String(err);
        }
      }),
    );
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks: results, ...info() });
  });
}

/** Readiness of a Redis connection: a PING answered. */
export function redisCheck(redis: { ping(): Promise<string> }): ReadinessCheck {
  return {
    name: 'redis',
    async check() {
      await redis.ping();
    },
  };
}
