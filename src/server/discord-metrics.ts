/** Prometheus metrics of the Discord adapter, on the serve registry. */
import { Counter, Histogram, type Registry } from 'prom-client';

export interface DiscordMetrics {
  ackSeconds: Histogram;
  interactions: Counter<'outcome'>;
}

export function createDiscordMetrics(registry: Registry): DiscordMetrics {
  return {
    ackSeconds: new Histogram({
      name: 'chatops_discord_ack_seconds',
      help: 'Time from an interaction arriving to its initial response (Discord allows 3 s).',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3],
      registers: [registry],
    }),
    interactions: new Counter({
      name: 'chatops_discord_interactions_total',
      help: 'Requests to POST /discord/interactions, by outcome (accepted, unauthorized, malformed, late_ack, error).',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
  };
}
