/** Hand-made run records for renderer and presenter tests (the engine's shapes, no engine). */
import type { RunRecord, StepRecord } from '../../src/engine/types.ts';

export function step(id: string, over: Partial<StepRecord> = {}): StepRecord {
  return { id, name: id, kind: 'run', phase: 'main', state: 'pending', attempt: 1, outputs: {}, ...over };
}

export function runRecord(over: Partial<RunRecord> = {}): RunRecord {
  return {
    id: 'r-test01',
    workflow: 'restart-service',
    description: 'Restart a service on a host.',
    state: 'running',
    inputs: { service: 'api', host: 'web-1', api_key: '***' },
    trigger: { kind: 'chat', source: 'shell', requester: 'shell:alice', channel: 'shell', text: 'restart api on web-1' },
    createdAt: 1_000_000,
    startedAt: 1_000_000,
    outputs: {},
    steps: [],
    ...over,
  };
}
