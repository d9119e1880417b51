/** Prometheus metrics of chat writes (run and incident messages), by platform: how each went. */
import { Counter, type Registry } from 'prom-client';
import type { WriteOutcome } from '../chat/pacer.js';

export function createChatMetrics(registry: Registry): (platform: string, outcome: WriteOutcome) => void {
  const writes = new Counter({
    name: 'chatops_chat_writes_total',
    help: 'Chat writes (posts and edits of run and incident messages) by platform and outcome: ok, rate_limited (HTTP 429), failed, refused (for good).',
    labelNames: ['platform', 'outcome'] as const,
    registers: [registry],
  });
  return (platform, outcome) => writes.inc({ platform, outcome });
}
