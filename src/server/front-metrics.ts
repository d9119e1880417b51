/**
 * The figures a front reads from Redis when it is scraped, beside what it counts itself: queue
 * health per pool (queue-metrics.ts), its Redis connection, and the incidents open now.
 */
import type { Redis } from 'ioredis';
import { Gauge, type Registry } from 'prom-client';
import { IncidentStore } from '../alerts/incident-store.js';
import type { Engine } from '../engine/engine.js';
import { registerRedisReady } from './metrics.js';
import { registerQueueMetrics } from './queue-metrics.js';

/** Incidents looked at per scrape: the most recently changed ones (an open incident changes as its alerts do). */
const INCIDENT_SCAN = 500;

export function registerFrontMetrics(registry: Registry, opts: { engine: Engine; redis: Redis; prefix: string }): void {
  registerQueueMetrics(registry, opts.engine);
  registerRedisReady(registry, opts.redis);
  const incidents = new IncidentStore(opts.redis, opts.prefix);
  new Gauge({
    name: 'chatops_incidents_open',
    help: `Incidents with an alert firing now, by source (among the ${INCIDENT_SCAN} changed last).`,
    labelNames: ['source'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      if (opts.redis.status !== 'ready') return;
      const open = new Map<string, number>();
      for (const inc of await incidents.list(INCIDENT_SCAN)) if (inc.status === 'firing') open.set(inc.source, (open.get(inc.source) ?? 0) + 1);
      for (const [source, n] of open) this.set({ source }, n);
    },
  });
}
