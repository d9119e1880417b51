/** Live reload's figures (src/reload/), on the registry of a front or a worker. */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ProjectSource, ReloadOutcome } from '../reload/project-holder.js';

/** Registers the reload metrics; returns what to call with each reload's outcome. */
export function createReloadMetrics(registry: Registry, source: ProjectSource): (outcome: ReloadOutcome) => void {
  const reloads = new Counter({
    name: 'chatops_reloads_total',
    help: 'Project reloads that changed something, by result: ok (the new files are in force) or failed (a file was refused and its last good version kept).',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  for (const result of ['ok', 'failed']) reloads.inc({ result }, 0);
  new Gauge({
    name: 'chatops_project_info',
    help: 'Always 1; its version label is the sha256 (16 hex digits) of the project files in force here, the same on replicas that agree.',
    labelNames: ['version'] as const,
    registers: [registry],
    collect() {
      this.reset();
      this.set({ version: source.version }, 1);
    },
  });
  return (outcome) => reloads.inc({ result: outcome.result === 'failed' ? 'failed' : 'ok' });
}
