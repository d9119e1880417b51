/** Prometheus metrics of the Slack adapter, on the serve registry. */
import { Counter, Histogram, type Registry } from 'prom-client';

export interface SlackMetrics {
  ackSeconds: Histogram;
  rateLimited: Counter<'method'>;
}

export function createSlackMetrics(registry: Registry): SlackMetrics {
  return {
    ackSeconds: new Histogram({
      name: 'chatops_slack_ack_seconds',
      help: 'Time from a slash command arriving to its acknowledgement (Slack allows 3 s).',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3],
      registers: [registry],
    }),
    rateLimited: new Counter({
      name: 'chatops_slack_rate_limited_total',
      help: 'HTTP 429 answers received from Slack, by Web API method.',
      labelNames: ['method'] as const,
      registers: [registry],
    }),
  };
}
